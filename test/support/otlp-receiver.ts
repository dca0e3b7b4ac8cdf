import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";

/** One span as the receiver decoded it from an OTLP export (ids in lowercase hex, as W3C writes them). */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** "" for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string; readonly attributes: Readonly<Record<string, string | number | boolean>> }[];
  /** 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
  /** The resource's `service.name`. */
  readonly serviceName: string;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>/v1/traces`: the value of OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  readonly tracesEndpoint: string;
  /** Every span received so far, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** The content types of the exports received (to show what the exporter sent). */
  readonly contentTypes: string[];
  close(): Promise<void>;
}

/**
 * An OTLP/HTTP trace receiver on loopback, as a collector would be: decodes `application/x-protobuf` (the SDK's
 * default protocol, http/protobuf) and `application/json` exports, gzip or not, and answers 200 with an empty
 * ExportTraceServiceResponse.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      try {
        if (request.method !== "POST" || request.url !== "/v1/traces") {
          response.writeHead(404).end();
          return;
        }
        let body = Buffer.concat(chunks);
        if (request.headers["content-encoding"] === "gzip") body = gunzipSync(body);
        const type = request.headers["content-type"] ?? "";
        contentTypes.push(type);
        spans.push(...(type.startsWith("application/json") ? decodeJson(body) : decodeProtobuf(body)));
        if (type.startsWith("application/json")) response.writeHead(200, { "content-type": "application/json" }).end("{}");
        else response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      } catch (error) {
        response.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    tracesEndpoint: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- protobuf wire format, just what opentelemetry/proto/trace/v1 ExportTraceServiceRequest needs

type Field = { readonly number: number; readonly wire: number; readonly value: bigint | Buffer };

function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error("truncated varint");
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 1) {
      out.push({ number, wire, value: buffer.readBigUInt64LE(offset) });
      offset += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ number, wire, value: buffer.subarray(offset, offset + length) });
      offset += length;
    } else if (wire === 5) {
      out.push({ number, wire, value: BigInt(buffer.readUInt32LE(offset)) });
      offset += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const bytesOf = (list: Field[], number: number): Buffer[] =>
  list.filter((field) => field.number === number && Buffer.isBuffer(field.value)).map((field) => field.value as Buffer);
const firstBytes = (list: Field[], number: number): Buffer => bytesOf(list, number)[0] ?? Buffer.alloc(0);
const numberOf = (list: Field[], number: number): number => {
  const found = list.find((field) => field.number === number && typeof field.value === "bigint");
  return found === undefined ? 0 : Number(found.value as bigint);
};

/** AnyValue: string 1, bool 2, int 3, double 4 (arrays and maps are not used by the manager's spans). */
function anyValue(buffer: Buffer): string | number | boolean {
  const [field] = fields(buffer);
  if (field === undefined) return "";
  if (field.number === 1) return (field.value as Buffer).toString("utf8");
  if (field.number === 2) return field.value === 1n;
  if (field.number === 3) return Number(BigInt.asIntN(64, field.value as bigint));
  if (field.number === 4) return Buffer.from(new BigUint64Array([field.value as bigint]).buffer).readDoubleLE(0);
  return `<unsupported AnyValue field ${field.number}>`;
}

function keyValues(list: Buffer[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const entry of list) {
    const kv = fields(entry);
    out[firstBytes(kv, 1).toString("utf8")] = anyValue(firstBytes(kv, 2));
  }
  return out;
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of bytesOf(fields(body), 1)) {
    const rs = fields(resourceSpans);
    const resource = keyValues(bytesOf(fields(firstBytes(rs, 1)), 1));
    for (const scopeSpans of bytesOf(rs, 2)) {
      for (const spanBytes of bytesOf(fields(scopeSpans), 2)) {
        const span = fields(spanBytes);
        const status = fields(firstBytes(span, 15));
        out.push({
          traceId: firstBytes(span, 1).toString("hex"),
          spanId: firstBytes(span, 2).toString("hex"),
          parentSpanId: firstBytes(span, 4).toString("hex"),
          name: firstBytes(span, 5).toString("utf8"),
          kind: numberOf(span, 6),
          attributes: keyValues(bytesOf(span, 9)),
          links: bytesOf(span, 13).map((linkBytes) => {
            const link = fields(linkBytes);
            return {
              traceId: firstBytes(link, 1).toString("hex"),
              spanId: firstBytes(link, 2).toString("hex"),
              attributes: keyValues(bytesOf(link, 4)),
            };
          }),
          status: { code: numberOf(status, 3), message: firstBytes(status, 2).toString("utf8") },
          serviceName: String(resource["service.name"] ?? ""),
        });
      }
    }
  }
  return out;
}

// --- OTLP/JSON (ids in hex, int64 as strings, enums as numbers)

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}
type JsonAttributes = { key: string; value: JsonValue }[] | undefined;

function jsonAttributes(list: JsonAttributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.boolValue ?? (value.intValue === undefined ? value.doubleValue ?? "" : Number(value.intValue));
  }
  return out;
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString("utf8")) as {
    resourceSpans?: {
      resource?: { attributes?: JsonAttributes };
      scopeSpans?: {
        spans?: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind?: number;
          attributes?: JsonAttributes;
          links?: { traceId: string; spanId: string; attributes?: JsonAttributes }[];
          status?: { code?: number; message?: string };
        }[];
      }[];
    }[];
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const serviceName = String(jsonAttributes(resourceSpans.resource?.attributes)["service.name"] ?? "");
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        name: span.name,
        kind: span.kind ?? 0,
        attributes: jsonAttributes(span.attributes),
        links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId, attributes: jsonAttributes(link.attributes) })),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
        serviceName,
      })),
    );
  });
}
