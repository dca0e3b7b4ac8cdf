import type { Clock } from "../../core/ports/clock.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import { statusCodeOf } from "./kubernetes-errors.js";
import type { RestClient } from "./rest-client.js";

export interface LeaseElectorOptions {
  readonly rest: RestClient;
  /** Namespace of the Lease (the manager's own). Required. */
  readonly namespace: string;
  /** The Lease's name. Default: "update-manager-leader". */
  readonly name?: string;
  /** This replica's identity (the pod name); must differ between replicas. Required. */
  readonly identity: string;
  readonly clock: Clock;
  /**
   * How long a Lease that is not renewed keeps others from taking over, measured on their own clock
   * from when they saw it change. Default: 15 000 ms.
   */
  readonly leaseDurationMs?: number;
  /**
   * A leader that has not renewed for this long stops leading (stops executing) — before the Lease
   * can expire for the others. Must be less than leaseDurationMs. Default: 10 000 ms.
   */
  readonly renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. Default: 2 000 ms. */
  readonly retryPeriodMs?: number;
  /**
   * Called when this replica starts leading, with the holder whose Lease expired when it took it over (that
   * replica is gone, or cut off and fenced: it executes nothing more).
   */
  readonly onStartedLeading: (previous?: string) => void;
  /** Called when it stops leading (renew deadline passed, Lease taken, or stop()). */
  readonly onStoppedLeading: () => void;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
}

export interface LeaseElector {
  /** Starts campaigning; never fails (errors are retried every retry period). */
  start(): void;
  /** Stops campaigning and, when leading, hands the Lease over at once (it is released). */
  stop(): Promise<void>;
  /** True while leading and the last renewal is younger than the renew deadline. */
  isLeader(): boolean;
  /** The holder this replica last saw (itself when leading); undefined before the first read. */
  leader(): string | undefined;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, the way client-go's leaderelection does it:
 * the holder renews every retry period with an update that carries the resourceVersion it read (so
 * two candidates never both win); the others take over only after seeing the Lease unchanged for a
 * whole lease duration on their own clock (no clock skew between replicas matters). A leader that
 * cannot renew within its renew deadline stops leading before that can happen.
 */
export function createLeaseElector(options: LeaseElectorOptions): LeaseElector {
  const { rest, namespace, identity, clock } = options;
  const name = options.name ?? "update-manager-leader";
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  if (!(renewDeadlineMs < leaseDurationMs)) {
    throw new RangeError(`the renew deadline (${renewDeadlineMs} ms) must be less than the lease duration (${leaseDurationMs} ms)`);
  }
  if (!(retryPeriodMs < renewDeadlineMs)) {
    throw new RangeError(`the retry period (${retryPeriodMs} ms) must be less than the renew deadline (${renewDeadlineMs} ms)`);
  }
  const logger = (options.logger ?? silentLogger).child({ component: "leader-election", lease: `${namespace}/${name}` });
  const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const leasePath = `${path}/${encodeURIComponent(name)}`;

  let leading = false;
  /** When the last successful acquire or renew was sent (conservative: its start). */
  let lastRenewAt = 0;
  /** The Lease as last seen, and when (on this clock) it last changed. */
  let observed: { key: string; at: number } | undefined;
  let lastHolder: string | undefined;
  let stopped = false;
  let cancelTimer: (() => void) | undefined;
  let cancelDeadline: (() => void) | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const now = () => clock.now().getTime();
  const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

  function startLeading(at: number, previous?: string): void {
    lastRenewAt = at;
    armDeadline();
    if (leading) return;
    leading = true;
    lastHolder = identity;
    logger.info({ identity, ...(previous === undefined ? {} : { previous }) }, "started leading");
    options.onStartedLeading(previous);
  }

  function stopLeading(why: string): void {
    cancelDeadline?.();
    cancelDeadline = undefined;
    if (!leading) return;
    leading = false;
    logger.warn({ identity, why }, "stopped leading");
    options.onStoppedLeading();
  }

  /** Steps down exactly when the renew deadline passes without a renewal, not at the next attempt. */
  function armDeadline(): void {
    cancelDeadline?.();
    const left = lastRenewAt + renewDeadlineMs - now();
    cancelDeadline = clock.setTimer(Math.max(0, left), () => {
      cancelDeadline = undefined;
      if (leading && now() - lastRenewAt >= renewDeadlineMs) stopLeading(`no renewal for ${renewDeadlineMs} ms`);
      else if (leading) armDeadline();
    });
  }

  function leaseBody(current: LeaseObject | undefined, at: number, acquiring: boolean): LeaseObject {
    const transitions = current?.spec.leaseTransitions ?? 0;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name,
        namespace,
        ...(current?.metadata.resourceVersion === undefined ? {} : { resourceVersion: current.metadata.resourceVersion }),
      },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
        acquireTime: acquiring ? microTime(at) : (current?.spec.acquireTime ?? microTime(at)),
        renewTime: microTime(at),
        leaseTransitions: acquiring && current !== undefined ? transitions + 1 : transitions,
      },
    };
  }

  async function attempt(): Promise<void> {
    const at = now();
    let current: LeaseObject | undefined;
    try {
      current = await rest.request<LeaseObject>({ method: "GET", path: leasePath });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
    }
    if (current === undefined) {
      await rest.request<LeaseObject>({ method: "POST", path, body: leaseBody(undefined, at, true) });
      observed = undefined;
      startLeading(at);
      return;
    }
    const holder = current.spec.holderIdentity ?? "";
    lastHolder = holder === "" ? undefined : holder;
    const key = JSON.stringify([holder, current.spec.renewTime, current.metadata.resourceVersion]);
    if (observed?.key !== key) observed = { key, at };
    if (holder === identity) {
      await rest.request<LeaseObject>({ method: "PUT", path: leasePath, body: leaseBody(current, at, !leading) });
      startLeading(at);
      return;
    }
    if (leading) stopLeading(`the Lease is held by ${holder || "nobody"}`);
    const durationMs = (current.spec.leaseDurationSeconds ?? Math.ceil(leaseDurationMs / 1000)) * 1000;
    const expired = holder === "" || now() - observed.at >= durationMs;
    if (!expired) return;
    logger.info({ previous: holder || undefined }, "the Lease expired; taking it over");
    await rest.request<LeaseObject>({ method: "PUT", path: leasePath, body: leaseBody(current, at, true) });
    startLeading(at, holder || undefined);
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    cancelTimer = clock.setTimer(delayMs, () => {
      cancelTimer = undefined;
      inFlight = attempt()
        .catch((error: unknown) => {
          const code = statusCodeOf(error);
          // 409: another candidate wrote first; the next attempt reads who.
          if (code !== 409) logger.warn({ err: error }, "acquiring or renewing the Lease failed");
        })
        .finally(() => schedule(retryPeriodMs));
    });
  }

  return {
    start() {
      if (stopped || cancelTimer !== undefined) return;
      schedule(0);
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await inFlight;
      if (!leading) return;
      const wasLeading = now() - lastRenewAt < renewDeadlineMs;
      stopLeading("stopping");
      if (!wasLeading) return;
      // Release: an empty holder lets another replica take over at its next attempt instead of after the lease duration.
      try {
        const current = await rest.request<LeaseObject>({ method: "GET", path: leasePath });
        if (current.spec.holderIdentity !== identity) return;
        await rest.request({
          method: "PUT",
          path: leasePath,
          body: { ...current, spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1 } },
        });
      } catch (error) {
        logger.warn({ err: error }, "releasing the Lease failed; another replica takes over when it expires");
      }
    },
    isLeader: () => leading && now() - lastRenewAt < renewDeadlineMs,
    leader: () => lastHolder,
  };
}
