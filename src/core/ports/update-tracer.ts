/**
 * The tracing the core needs: spans with explicit parents and links, so that an update's spans form one trace
 * across attempts and replicas. The OpenTelemetry adapter is src/telemetry/update-tracer.ts; the core never imports
 * OpenTelemetry.
 */

/** A span as it can be recorded and continued elsewhere (the W3C trace context of a span). */
export interface SpanRef {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  readonly sampled: boolean;
}

export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

export interface StartSpanOptions {
  /**
   * The parent span (of this process, or recorded by another attempt). Default: the caller's active span (the RPC's
   * server span while an RPC handler runs), else the span starts a new trace.
   */
  readonly parent?: SpanRef;
  /** Start a new trace even while a span is active (ignored with `parent`). Default: false. */
  readonly root?: boolean;
  /** Spans this one follows from without being their child (the previous execution attempt). Default: none. */
  readonly links?: readonly { readonly span: SpanRef; readonly attributes?: SpanAttributes }[];
  readonly attributes?: SpanAttributes;
  /** When the span began, for a step recorded after the fact (a wait in the queue). Default: now. */
  readonly startTime?: Date;
}

export interface CoreSpan {
  /** Always valid ids, also when nothing is exported: the record keeps the trace id for logs and the API. */
  readonly ref: SpanRef;
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span as failed (status ERROR) with why. */
  fail(message: string): void;
  /** Ends the span (at `endTime`, default now); later calls do nothing. */
  end(endTime?: Date): void;
}

export interface UpdateTracer {
  startSpan(name: string, options?: StartSpanOptions): CoreSpan;
}

/**
 * Random bytes drawn from the system's generator in blocks: every span needs ids, and one call into it per id cost
 * more than the rest of starting a span (as Node's randomUUID does, a block serves many ids).
 */
const randomBlock = new Uint8Array(4096);
let randomOffset = randomBlock.length;
const hexOfByte = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Random lowercase hex digits (`bytes` bytes); never all zeros, which W3C trace context calls invalid. */
export function randomHexId(bytes: number): string {
  for (;;) {
    if (randomOffset + bytes > randomBlock.length) {
      globalThis.crypto.getRandomValues(randomBlock);
      randomOffset = 0;
    }
    let id = "";
    let zero = true;
    for (let i = 0; i < bytes; i++) {
      const byte = randomBlock[randomOffset + i]!;
      if (byte !== 0) zero = false;
      id += hexOfByte[byte];
    }
    randomOffset += bytes;
    if (!zero) return id;
  }
}

/**
 * Records and exports nothing, but gives every span valid ids (in its parent's trace, else a new one), so updates
 * still get a trace id for their logs. The default when no tracer is configured, and the fake for core tests.
 */
export const noopUpdateTracer: UpdateTracer = {
  startSpan(_name, options = {}) {
    const ref: SpanRef = {
      traceId: options.parent?.traceId ?? randomHexId(16),
      spanId: randomHexId(8),
      sampled: options.parent?.sampled ?? false,
    };
    return { ref, setAttributes() {}, fail() {}, end() {} };
  },
};
