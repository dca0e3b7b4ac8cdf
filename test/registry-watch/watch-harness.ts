import { createSimulatedCluster, type SimulatedCluster, type SimulatedClusterOptions } from "../../src/cluster/simulated/simulated-cluster.js";
import type { AvailableUpdate } from "../../src/core/domain/available-update.js";
import { createMetadataKeys } from "../../src/core/domain/metadata-keys.js";
import { type Clock, systemClock } from "../../src/core/ports/clock.js";
import { silentLogger } from "../../src/core/ports/logger.js";
import { createUpdateManager, type UpdateManager } from "../../src/core/use-cases/update-manager.js";
import {
  createRegistryWatcher,
  type RegistryWatcher,
  type WatchRegistriesOptions,
} from "../../src/core/use-cases/watch-registries.js";
import { createRegistryClient } from "../../src/registry/registry-client.js";
import type { RegistryClientOptions } from "../../src/registry/registry-client-options.js";
import { createRegistryPortAdapter } from "../../src/registry/registry-port-adapter.js";
import { createRequestCounter, type RequestCounter } from "../../src/registry/registry-request-event.js";
import { createMemoryQuarantineStore } from "../../src/store/memory/memory-quarantine-store.js";
import { createMemoryTargetLocks } from "../../src/store/memory/memory-target-locks.js";
import { createMemoryUpdateStore } from "../../src/store/memory/memory-update-store.js";
import { createMemoryWatchStateStore } from "../../src/store/memory/memory-watch-state-store.js";

export interface WatchHarnessOptions {
  /** Registry hosts reached over plain http (the test registries and proxies). */
  readonly insecureRegistries: readonly string[];
  readonly client?: Partial<RegistryClientOptions>;
  readonly cluster?: SimulatedClusterOptions;
  readonly watcher?: WatchRegistriesOptions;
  /**
   * The time of the watcher and the registry client (schedules, Retry-After, token expiry), so a test moves it
   * on instead of sleeping. The engine and the simulated cluster keep the system clock. Default: systemClock.
   */
  readonly watchClock?: Clock;
}

export interface WatchHarness {
  readonly cluster: SimulatedCluster;
  readonly manager: UpdateManager;
  readonly watcher: RegistryWatcher;
  readonly requests: RequestCounter;
  /** What the watcher emitted through `onAvailable`, in order. */
  readonly notified: AvailableUpdate[];
  /** A new watcher on the same cluster, engine, registry client and durable state: a restart or failover. */
  restartWatcher(): RegistryWatcher;
  stop(): Promise<void>;
}

/**
 * The registry tier's composition: the real update engine on a simulated cluster (system clock, fast rollouts),
 * the real registry client and adapter, and the watcher, as src/app.ts wires them.
 */
/** The system clock moved on by hand: `advance` makes time pass at once for what reads it (timers stay real). */
export interface SkewedClock extends Clock {
  advance(ms: number): void;
}

export function createSkewedClock(): SkewedClock {
  let skewMs = 0;
  return {
    now: () => new Date(Date.now() + skewMs),
    setTimer: (ms, callback) => systemClock.setTimer(ms, callback),
    advance(ms) {
      skewMs += ms;
    },
  };
}

export function createWatchHarness(options: WatchHarnessOptions): WatchHarness {
  const keys = createMetadataKeys();
  const cluster = createSimulatedCluster({ rolloutStepMs: 5, jobDurationMs: 5, keys, ...options.cluster });
  cluster.start();
  const quarantines = createMemoryQuarantineStore();
  const manager = createUpdateManager({
    cluster,
    store: createMemoryUpdateStore(),
    quarantines,
    locks: createMemoryTargetLocks(),
    clock: systemClock,
    newId: (() => {
      let next = 0;
      return () => `update-${++next}`;
    })(),
    keys,
    logger: silentLogger,
  }, { progressIntervalMs: 10 });
  const requests = createRequestCounter();
  const client = createRegistryClient({
    insecureRegistries: options.insecureRegistries,
    onRequest: requests.onRequest,
    clock: options.watchClock ?? systemClock,
    ...options.client,
  });
  const notified: AvailableUpdate[] = [];
  const state = createMemoryWatchStateStore();
  const registry = createRegistryPortAdapter({ client });
  const watchers: RegistryWatcher[] = [];
  const newWatcher = (): RegistryWatcher => {
    const created = createRegistryWatcher(
    {
      cluster,
      registry,
      pullSecrets: cluster,
      runningImages: cluster,
      state,
      quarantines,
      updates: manager,
      clock: options.watchClock ?? systemClock,
      keys,
      logger: silentLogger,
      onAvailable: (update) => notified.push(update),
    },
    options.watcher,
    );
    watchers.push(created);
    return created;
  };
  const watcher = newWatcher();
  return {
    cluster,
    manager,
    watcher,
    requests,
    notified,
    restartWatcher: newWatcher,
    async stop() {
      for (const each of watchers) await each.stop();
      await manager.shutdown();
      cluster.stop();
    },
  };
}
