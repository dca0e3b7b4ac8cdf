import type { AvailabilityStatus, AvailableUpdate } from "../domain/available-update.js";
import { describeAvailableUpdate } from "../domain/available-update.js";
import { workloadClassifier } from "../domain/classifier.js";
import { createVersionPolicy } from "../domain/create-version-policy.js";
import { type DomainError, isDomainError } from "../domain/domain-error.js";
import { formatImageReference, type ImageReference, repositoryName, tryParseImageReference } from "../domain/image-reference.js";
import { defaultKeyPrefix, type MetadataKeys } from "../domain/metadata-keys.js";
import { isMigrationTemplate } from "../domain/migration-template.js";
import { parsePolicyAnnotations } from "../domain/parse-policy-annotations.js";
import { isTerminal } from "../domain/update.js";
import type { ContainerUpdatePolicy, WorkloadUpdatePolicy } from "../domain/version-policy-spec.js";
import type { VersionPolicy } from "../domain/version-policy.js";
import type { WatchAttempt } from "../domain/watch-state.js";
import { toRef, type Workload, type WorkloadRef, workloadKey } from "../domain/workload.js";
import type { Clock } from "../ports/clock.js";
import type { ClusterPort } from "../ports/cluster.js";
import type { CoreLogger } from "../ports/logger.js";
import type { PullSecret, PullSecretsPort } from "../ports/pull-secrets.js";
import type { QuarantineStore } from "../ports/quarantine-store.js";
import type { RegistryCredential, RegistryPort } from "../ports/registry.js";
import type { RunningImagesPort } from "../ports/running-images.js";
import type { WatchStateStore } from "../ports/watch-state-store.js";
import { chooseWatchedVersion } from "./choose-watched-version.js";
import { type RegistryCheck, registryCheckKey, runRegistryChecks } from "./registry-checks.js";
import type { UpdateManager } from "./update-manager.js";
import { createWatchSchedule } from "./watch-schedule.js";
import { updateLogFields } from "./update-spans.js";

/** The ports the registry watcher runs on. */
export interface WatchRegistriesDeps {
  readonly cluster: Pick<ClusterPort, "isSynced" | "listWorkloads">;
  readonly registry: RegistryPort;
  readonly pullSecrets: PullSecretsPort;
  readonly runningImages: RunningImagesPort;
  readonly state: WatchStateStore;
  readonly quarantines: Pick<QuarantineStore, "find">;
  /** The update engine: the watcher's updates are ordinary updates (migrations, health gate, rollback, events). */
  readonly updates: Pick<UpdateManager, "startUpdate" | "getUpdate">;
  readonly clock: Clock;
  readonly keys: MetadataKeys;
  readonly logger: CoreLogger;
  /** Whether this process leads: only the leader polls registries. Default: always. */
  readonly canExecute?: () => boolean;
  /** A newer version was found, or its status changed (for Kubernetes Events and metrics). Default: none. */
  readonly onAvailable?: (update: AvailableUpdate) => void;
  /** A registry check failed (for metrics and events). Default: none. */
  readonly onCheckError?: (error: DomainError, check: RegistryCheck) => void;
  /** After every cycle, with its report (metrics). Default: none. */
  readonly onCycle?: (report: WatchCycleReport) => void;
}

/** Tunables of the watcher; every option is optional. */
export interface WatchRegistriesOptions {
  /** Annotation prefix of the policy annotations. Default: "update-manager.io". */
  readonly keyPrefix?: string;
  /** Honour the legacy classifier annotation (as the engine does). Default: true. */
  readonly legacyAnnotation?: boolean;
  /** How often a workload without a `schedule` annotation is checked. Default: 5 minutes. */
  readonly defaultScheduleMs?: number;
  /** How often the watcher looks for due workloads. Default: 10 s. */
  readonly tickMs?: number;
  /** A workload whose check failed is checked again after this long (or its schedule, if sooner). Default: 60 s. */
  readonly retryAfterErrorMs?: number;
  /** Registry checks in flight at once. Default: 8. */
  readonly concurrency?: number;
  /** The requester of the watcher's updates (ListUpdates' `requester`). Default: "registry-watcher". */
  readonly requester?: string;
}

/** What one cycle did, for logs, tests and the benchmark. */
export interface WatchCycleReport {
  /** Why nothing was checked: this replica does not lead, or the caches have not synced. */
  readonly skipped?: "not-leader" | "not-synced";
  /** Watched workloads checked in this cycle (those due). */
  readonly workloadsChecked: number;
  /** Registry checks made (after grouping). */
  readonly tagLists: number;
  readonly digests: number;
  /** Pod lists made to learn running digests (digest policies without a pinned digest). */
  readonly runningImageLookups: number;
  /** Updates the watcher started. */
  readonly started: readonly { readonly workload: WorkloadRef; readonly container: string; readonly image: string; readonly updateId: string }[];
  /** Checks and containers that failed, one line each. */
  readonly errors: readonly string[];
  /** Every newer version known after the cycle. */
  readonly available: readonly AvailableUpdate[];
  readonly durationMs: number;
}

export interface RegistryWatcher {
  /** One cycle now: checks every due workload. Cycles never overlap (a call during one waits for it, then runs). */
  runOnce(): Promise<WatchCycleReport>;
  /** Starts the periodic cycles (every `tickMs`). */
  start(): void;
  /** Stops the cycles and waits for a running one. */
  stop(): Promise<void>;
  /**
   * A repository changed (a registry webhook said so): the watched workloads whose policy covers an image of it
   * are due now, and one cycle runs as soon as the current one ends (bursts share it). The cycle reads tags and
   * digests from the registry as always: what the caller says is never taken as a version.
   * @param repository a full image name without tag, e.g. "registry:5000/team/web" or "docker.io/nginx".
   * On a replica that does not lead, the request is written to the watch state instead, for the leader's next cycle.
   * @returns how many watched workloads use it (0: nothing is checked) and, when some do, the cycle here or the
   *   write for the leader.
   */
  recheck(repository: string): {
    readonly workloads: number;
    readonly cycle?: Promise<WatchCycleReport>;
    readonly forwarded?: Promise<void>;
  };
}

export const registryWatcherRequester = "registry-watcher";

/** One watched container of one workload, in a cycle. */
interface Evaluation {
  readonly workload: Workload;
  readonly classifier: string;
  readonly container: ContainerUpdatePolicy;
  readonly image: string;
  readonly reference: ImageReference & { readonly tag: string };
  readonly policy: VersionPolicy;
  readonly checkKey: string;
}

interface ParsedPolicy {
  readonly resourceVersion: string;
  readonly policy?: WorkloadUpdatePolicy;
  readonly versionPolicies: ReadonlyMap<string, VersionPolicy>;
}

/**
 * The registry watcher: keeps opted-in workloads current without a pipeline call, by the policies in
 * their annotations (docs/registry-policies.md). Each cycle, on the leader only:
 *
 * 1. picks the watched workloads that are due (per-workload `schedule`);
 * 2. groups what they need into registry checks: one tag list per (registry, repository, credential), one digest
 *    per (registry, repository, tag, credential), credentials from each workload's own pull secrets;
 * 3. lets each container's policy choose, with soak times counted from durable first-seen times;
 * 4. in `update` mode starts an ordinary update for that workload only (requester "registry-watcher"), unless
 *    the version is quarantined for it or an update of the watcher with it failed before; in `notify` mode,
 *    and for versions beyond the policy, only reports them (ListAvailableUpdates, `onAvailable`).
 */
export function createRegistryWatcher(deps: WatchRegistriesDeps, options: WatchRegistriesOptions = {}): RegistryWatcher {
  const keyPrefix = options.keyPrefix ?? defaultKeyPrefix;
  const legacyAnnotation = options.legacyAnnotation ?? true;
  const defaultScheduleMs = options.defaultScheduleMs ?? 5 * 60_000;
  const tickMs = options.tickMs ?? 10_000;
  const retryAfterErrorMs = options.retryAfterErrorMs ?? 60_000;
  const concurrency = options.concurrency ?? 8;
  const requester = options.requester ?? registryWatcherRequester;
  for (const [name, value] of Object.entries({ defaultScheduleMs, tickMs, retryAfterErrorMs, concurrency })) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`registry watcher option ${name} must be positive, got ${value}`);
  }
  const canExecute = deps.canExecute ?? (() => true);
  const logger = deps.logger;
  const schedule = createWatchSchedule();
  const blockedUntil = new Map<string, number>();
  const policies = new Map<string, ParsedPolicy>();
  const policyPrefix = `${keyPrefix}/policy`;
  let running: Promise<WatchCycleReport> | undefined;
  let cancelTimer: (() => void) | undefined;
  let stopped = true;

  const nowMs = () => deps.clock.now().getTime();

  /** The workload's parsed policy, cached per resourceVersion; a bad annotation is logged once per version. */
  function policyOf(workload: Workload): ParsedPolicy {
    const key = workloadKey(workload.ref);
    const cached = policies.get(key);
    if (cached !== undefined && cached.resourceVersion === workload.resourceVersion) return cached;
    let parsed: ParsedPolicy;
    try {
      const policy = parsePolicyAnnotations(workload.annotations, {
        containers: workload.containers.map((container) => container.name),
        keyPrefix,
      });
      const versionPolicies = new Map(policy.containers.map((container) => [container.container, createVersionPolicy(container.policy)]));
      parsed = { resourceVersion: workload.resourceVersion, policy, versionPolicies };
    } catch (error) {
      if (!isDomainError(error)) throw error;
      logger.warn({ workload: key, err: error }, `not watching ${key}: ${error.message}`);
      parsed = { resourceVersion: workload.resourceVersion, versionPolicies: new Map() };
    }
    policies.set(key, parsed);
    return parsed;
  }

  function isWatched(workload: Workload): boolean {
    if (workload.ref.kind === "Job" || isMigrationTemplate(workload)) return false;
    return Object.keys(workload.annotations).some((key) => key.startsWith(policyPrefix));
  }

  async function cycle(): Promise<WatchCycleReport> {
    const started = nowMs();
    const empty = (skipped: WatchCycleReport["skipped"]): WatchCycleReport => ({
      skipped,
      workloadsChecked: 0,
      tagLists: 0,
      digests: 0,
      runningImageLookups: 0,
      started: [],
      errors: [],
      available: [],
      durationMs: 0,
    });
    if (!canExecute()) return empty("not-leader");
    if (!deps.cluster.isSynced()) return empty("not-synced");
    const now = deps.clock.now();
    const state = await deps.state.load();
    takeRechecks(state.rechecks);
    const errors: string[] = [];
    const newFirstSeen = new Map<string, Date>();
    const newAttempts = new Map<string, WatchAttempt>();
    const startedUpdates: { workload: WorkloadRef; container: string; image: string; updateId: string }[] = [];

    // 1. Due workloads and their containers.
    const watched = deps.cluster.listWorkloads().filter(isWatched);
    const watchedKeys = new Set(watched.map((workload) => workloadKey(workload.ref)));
    schedule.retain(watchedKeys);
    for (const key of policies.keys()) if (!watchedKeys.has(key)) policies.delete(key);
    const secretCache = new Map<string, Promise<PullSecret | undefined>>();
    const getSecret = (namespace: string, name: string) => {
      const key = `${namespace}/${name}`;
      let secret = secretCache.get(key);
      if (secret === undefined) {
        secret = deps.pullSecrets.getPullSecret(namespace, name);
        secretCache.set(key, secret);
      }
      return secret;
    };
    const checks = new Map<string, RegistryCheck>();
    const evaluations: Evaluation[] = [];
    const checkedKeys = new Set<string>();
    const failedWorkloads = new Set<string>();
    for (const workload of watched) {
      const key = workloadKey(workload.ref);
      if (!schedule.isDue(key, now.getTime())) continue;
      const classifier = workloadClassifier(workload, deps.keys, legacyAnnotation);
      const parsed = policyOf(workload);
      schedule.next(key, now.getTime() + (parsed.policy?.scheduleMs ?? defaultScheduleMs));
      if (classifier === undefined || parsed.policy === undefined) continue;
      checkedKeys.add(key);
      let secrets: PullSecret[];
      try {
        secrets = [];
        for (const name of workload.pullSecrets ?? []) {
          const secret = await getSecret(workload.ref.namespace, name);
          if (secret !== undefined) secrets.push(secret);
        }
      } catch (error) {
        errors.push(`${key}: reading its pull secrets failed: ${messageOf(error)}`);
        failedWorkloads.add(key);
        continue;
      }
      for (const container of parsed.policy.containers) {
        const spec = workload.containers.find((candidate) => candidate.name === container.container);
        const reference = spec === undefined ? undefined : tryParseImageReference(spec.image);
        if (spec === undefined || reference === undefined) continue;
        if (reference.tag === undefined) {
          // A digest-only image names no version to compare with; the policy cannot move it.
          logger.debug({ workload: key, container: container.container }, "image has no tag; not watched");
          continue;
        }
        let credential: RegistryCredential | undefined;
        try {
          credential = deps.registry.credentialFor(reference.registry, secrets);
        } catch (error) {
          errors.push(`${key} container ${container.container}: ${messageOf(error)}`);
          failedWorkloads.add(key);
          continue;
        }
        const location = { registry: reference.registry, repository: reference.repository };
        const check: RegistryCheck =
          container.policy.kind === "digest"
            ? { kind: "digest", location, tag: reference.tag, credential }
            : { kind: "tags", location, credential };
        const checkKey = registryCheckKey(check);
        checks.set(checkKey, check);
        evaluations.push({
          workload,
          classifier,
          container,
          image: spec.image,
          reference: { ...reference, tag: reference.tag },
          policy: parsed.versionPolicies.get(container.container)!,
          checkKey,
        });
      }
    }

    // 2. One request per group.
    const results = await runRegistryChecks(checks, deps.registry, { concurrency, blockedUntil, nowMs });
    for (const [key, result] of results) {
      if (result.ok) continue;
      const check = checks.get(key)!;
      errors.push(`${key}: ${result.error.message}`);
      logger.warn({ check: key, err: result.error }, `registry check failed: ${result.error.message}`);
      deps.onCheckError?.(result.error, check);
    }

    // 3. Choose, and apply or report.
    const firstSeenOf = (key: string): Date => {
      const known = newFirstSeen.get(key) ?? state.firstSeen.get(key);
      if (known !== undefined) return known;
      newFirstSeen.set(key, now);
      return now;
    };
    const available = new Map<string, AvailableUpdate[]>();
    const kept = new Map<string, AvailableUpdate[]>();
    let runningImageLookups = 0;
    const runningCache = new Map<string, Promise<ReadonlyMap<string, string>>>();
    for (const evaluation of evaluations) {
      const key = workloadKey(evaluation.workload.ref);
      const result = results.get(evaluation.checkKey);
      if (result === undefined || !result.ok) {
        failedWorkloads.add(key);
        continue;
      }
      const { workload, container, reference } = evaluation;
      const name = imageName(evaluation.image);
      const base = {
        workload: toRef(workload.ref),
        classifier: evaluation.classifier,
        container: container.container,
        currentImage: evaluation.image,
        policy: describePolicy(container, evaluation.policy),
        mode: container.mode,
        checkTime: now,
      };
      const entries: AvailableUpdate[] = [];
      let candidate: { image: string; firstSeen: Date; digest?: string } | undefined;
      if ("tags" in result) {
        const choice = chooseWatchedVersion(
          evaluation.policy,
          reference.tag,
          result.tags,
          container.minAgeMs,
          (tag) => firstSeenOf(`${repositoryName(reference)}:${tag}`),
          now,
        );
        if (choice.soaking !== undefined) {
          entries.push({
            ...base,
            availableImage: `${name}:${choice.soaking.tag}`,
            status: "soaking",
            message: "",
            firstSeen: choice.soaking.firstSeen,
            soakingUntil: choice.soaking.until,
          });
        }
        if (choice.apply !== undefined) candidate = { image: `${name}:${choice.apply.tag}`, firstSeen: choice.apply.firstSeen };
        for (const tag of choice.report) {
          entries.push({
            ...base,
            availableImage: `${name}:${tag}`,
            status: "beyond-policy",
            message: "",
            firstSeen: firstSeenOf(`${repositoryName(reference)}:${tag}`),
          });
        }
      } else {
        let running = reference.digest;
        if (running === undefined) {
          let lookup = runningCache.get(key);
          if (lookup === undefined) {
            runningImageLookups++;
            lookup = deps.runningImages.runningImageIds(workload.ref);
            runningCache.set(key, lookup);
          }
          try {
            running = digestOfImageId((await lookup).get(container.container));
          } catch (error) {
            errors.push(`${key}: reading the running digest failed: ${messageOf(error)}`);
            failedWorkloads.add(key);
            continue;
          }
        }
        if (running === undefined) {
          // No pod of the current template reports its digest yet: nothing to compare with until one does.
          logger.debug({ workload: key, container: container.container }, "running digest unknown yet");
        } else if (running !== result.digest) {
          const seen = firstSeenOf(`${repositoryName(reference)}@${result.digest}`);
          const until = new Date(seen.getTime() + container.minAgeMs);
          const image = `${name}:${reference.tag}@${result.digest}`;
          if (until.getTime() > now.getTime()) {
            entries.push({ ...base, availableImage: image, status: "soaking", message: "", firstSeen: seen, soakingUntil: until });
          } else {
            candidate = { image, firstSeen: seen, digest: result.digest };
          }
        }
      }
      if (candidate !== undefined) {
        const decided = await decide(evaluation, candidate, container.mode === "notify" ? "notify" : undefined);
        entries.unshift({ ...base, availableImage: candidate.image, firstSeen: candidate.firstSeen, ...decided });
      }
      available.set(`${key}|${container.container}`, entries);
    }

    /** What happens to the version the policy applies: notify, or an update unless something forbids it. */
    async function decide(
      evaluation: Evaluation,
      candidate: { image: string; digest?: string },
      forced: AvailabilityStatus | undefined,
    ): Promise<{ status: AvailabilityStatus; message: string; updateId?: string }> {
      if (forced !== undefined) return { status: forced, message: "" };
      const { workload } = evaluation;
      const key = workloadKey(workload.ref);
      const attemptKey = `${key}|${evaluation.container.container}|${candidate.image}`;
      // The engine's quarantine first (it says why); the watcher never overrides it.
      const quarantine = await deps.quarantines.find(toRef(workload.ref), formatted(candidate.image), candidate.digest);
      if (quarantine !== undefined) {
        return { status: "quarantined", message: quarantine.reason, updateId: quarantine.updateId };
      }
      const attempt = newAttempts.get(attemptKey) ?? state.attempts.get(attemptKey);
      if (attempt !== undefined) {
        const record = await deps.updates.getUpdate(attempt.updateId).catch((error: unknown) => {
          if (isDomainError(error, "not-found")) return undefined;
          throw error;
        });
        if (record !== undefined && !isTerminal(record.state)) {
          return { status: "applying", message: "", updateId: record.id };
        }
        if (record !== undefined && record.state !== "succeeded") {
          return {
            status: "failed-before",
            message: `update ${record.id} with it ended ${record.state}${record.reason === "" ? "" : `: ${record.reason}`}; the watcher does not apply it again`,
            updateId: record.id,
          };
        }
        if (record !== undefined) {
          return {
            status: "failed-before",
            message: `update ${record.id} applied it, and the workload was changed back since; the watcher does not apply it again`,
            updateId: record.id,
          };
        }
        // The update was pruned from the store: its outcome is unknown, so apply again.
      }
      try {
        const record = await deps.updates.startUpdate(
          // While updates are frozen the watcher holds: refused now, asked again at its next check.
          { image: candidate.image, classifier: evaluation.classifier, onlyWorkloads: [toRef(workload.ref)], refuseWhenFrozen: true },
          { requester },
        );
        newAttempts.set(attemptKey, { updateId: record.id, time: now });
        startedUpdates.push({ workload: toRef(workload.ref), container: evaluation.container.container, image: candidate.image, updateId: record.id });
        logger.info(
          { workload: key, container: evaluation.container.container, image: candidate.image, update: record.id, ...updateLogFields(record) },
          `registry watcher: updating ${key} to ${candidate.image} (update ${record.id})`,
        );
        return { status: "applying", message: "", updateId: record.id };
      } catch (error) {
        if (!isDomainError(error)) throw error;
        failedWorkloads.add(key);
        if (error.reason === "IMAGE_QUARANTINED") {
          return { status: "quarantined", message: error.message, ...updateIdOf(error) };
        }
        if (error.reason === "TARGET_BUSY" || error.code === "aborted") return { status: "busy", message: error.message };
        // Frozen, outside a refusing window, an alert gate that fails updates: held, asked again at the next check.
        if (error.reason === "FROZEN" || error.reason === "OUTSIDE_WINDOW" || error.reason === "ALERT_FIRING") {
          return { status: "busy", message: error.message };
        }
        errors.push(`${key} container ${evaluation.container.container}: the update engine refused ${candidate.image}: ${error.message}`);
        return { status: "refused", message: error.message };
      }
    }

    // 4. Failed workloads are checked again soon; the registry's own wait is respected by the checks.
    for (const key of failedWorkloads) {
      const scheduleMs = policies.get(key)?.policy?.scheduleMs ?? defaultScheduleMs;
      schedule.next(key, now.getTime() + Math.min(retryAfterErrorMs, scheduleMs));
    }

    // Containers not evaluated now keep what earlier checks found, unless their workload is gone or was checked.
    for (const entry of state.available) {
      const key = workloadKey(entry.workload);
      const containerKey = `${key}|${entry.container}`;
      if (!watchedKeys.has(key) || available.has(containerKey) || (checkedKeys.has(key) && !failedWorkloads.has(key))) continue;
      kept.set(containerKey, [...(kept.get(containerKey) ?? []), entry]);
    }
    const list = [...available.values(), ...kept.values()].flat().sort(compareAvailable);
    const previous = new Set(state.available.map(identity));
    for (const entry of list) {
      if (previous.has(identity(entry))) continue;
      logger.info({ workload: workloadKey(entry.workload), container: entry.container, status: entry.status }, describeAvailableUpdate(entry));
      deps.onAvailable?.(entry);
    }
    const availableChanged = JSON.stringify(list.map(stable)) !== JSON.stringify(state.available.map(stable));
    if (newFirstSeen.size > 0 || newAttempts.size > 0 || availableChanged) {
      await deps.state.save({
        ...(newFirstSeen.size > 0 ? { firstSeen: newFirstSeen } : {}),
        ...(newAttempts.size > 0 ? { attempts: newAttempts } : {}),
        ...(availableChanged ? { available: list } : {}),
      });
    }
    let tagLists = 0;
    let digests = 0;
    for (const check of checks.values()) {
      if (check.kind === "tags") tagLists++;
      else digests++;
    }
    return {
      workloadsChecked: checkedKeys.size,
      tagLists,
      digests,
      runningImageLookups,
      started: startedUpdates,
      errors,
      available: list,
      durationMs: nowMs() - started,
    };
  }

  const runOnce = async (): Promise<WatchCycleReport> => {
    while (running !== undefined) await running.catch(() => undefined);
    running = cycle();
    try {
      const report = await running;
      deps.onCycle?.(report);
      return report;
    } finally {
      running = undefined;
    }
  };

  let pendingRecheck: Promise<WatchCycleReport> | undefined;
  /** One cycle after the running one; requests made before it starts share it. */
  const requestCycle = (): Promise<WatchCycleReport> => {
    if (pendingRecheck !== undefined) return pendingRecheck;
    const next = (async () => {
      // Always yields once, so that `pendingRecheck` is set before it is cleared.
      do await running?.catch(() => undefined);
      while (running !== undefined);
      pendingRecheck = undefined;
      return runOnce();
    })();
    pendingRecheck = next;
    return next;
  };

  /** The watched workloads with an image of `repository` (a full name); with `markDue`, they are due now. */
  function workloadsUsing(repository: string, markDue: boolean): number {
    const target = tryParseImageReference(repository);
    if (target === undefined || !deps.cluster.isSynced()) return 0;
    let workloads = 0;
    for (const workload of deps.cluster.listWorkloads().filter(isWatched)) {
      const containers = policyOf(workload).policy?.containers ?? [];
      const uses = containers.some((container) => {
        const spec = workload.containers.find((candidate) => candidate.name === container.container);
        const reference = spec === undefined ? undefined : tryParseImageReference(spec.image);
        return reference?.registry === target.registry && reference.repository === target.repository;
      });
      if (!uses) continue;
      if (markDue) schedule.next(workloadKey(workload.ref), Number.NEGATIVE_INFINITY);
      workloads++;
    }
    return workloads;
  }

  // Re-check requests another replica wrote, by repository: the newest handled here (a new leader handles each once).
  const handledRechecks = new Map<string, number>();
  /** Marks the workloads of the requests not handled yet due, before a cycle picks the due ones. */
  function takeRechecks(rechecks: ReadonlyMap<string, Date> | undefined): void {
    for (const [repository, time] of rechecks ?? []) {
      const handled = handledRechecks.get(repository);
      if (handled !== undefined && handled >= time.getTime()) continue;
      handledRechecks.set(repository, time.getTime());
      workloadsUsing(repository, true);
    }
  }

  const forwarding = new Map<string, Promise<void>>();
  function recheck(repository: string): { workloads: number; cycle?: Promise<WatchCycleReport>; forwarded?: Promise<void> } {
    const target = tryParseImageReference(repository);
    if (target === undefined) return { workloads: 0 };
    const name = `${target.registry}/${target.repository}`;
    if (!canExecute()) {
      // Only the leader checks registries: the request goes to it through the watch state (one write; a burst
      // for the same repository shares it).
      const workloads = workloadsUsing(name, false);
      if (workloads === 0) return { workloads };
      let forwarded = forwarding.get(name);
      if (forwarded === undefined) {
        forwarded = deps.state
          .save({ rechecks: new Map([[name, deps.clock.now()]]) })
          .catch((error: unknown) => logger.warn({ repository: name, err: error }, `could not pass the re-check of ${name} to the leader`))
          .finally(() => forwarding.delete(name));
        forwarding.set(name, forwarded);
      }
      return { workloads, forwarded };
    }
    const workloads = workloadsUsing(name, true);
    if (workloads === 0) return { workloads };
    const cycle = requestCycle();
    cycle.catch((error: unknown) => logger.error({ err: error }, "registry watch cycle failed"));
    return { workloads, cycle };
  }

  const tick = (): void => {
    if (stopped) return;
    runOnce()
      .then((report) => {
        if (report.skipped === undefined && (report.workloadsChecked > 0 || report.errors.length > 0)) {
          logger.debug({ ...report, available: report.available.length }, "registry watch cycle done");
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, "registry watch cycle failed"))
      .finally(() => {
        if (!stopped) cancelTimer = deps.clock.setTimer(tickMs, tick);
      });
  };

  return {
    runOnce,
    recheck,
    start() {
      if (!stopped) return;
      stopped = false;
      cancelTimer = deps.clock.setTimer(0, tick);
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await running?.catch(() => undefined);
    },
  };
}

/** The image without tag or digest, as the workload spells it ("registry:5000/team/web"). */
function imageName(image: string): string {
  const withoutDigest = image.includes("@") ? image.slice(0, image.indexOf("@")) : image;
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** Normalised, as quarantine records hold images. */
function formatted(image: string): string {
  const reference = tryParseImageReference(image);
  return reference === undefined ? image : formatImageReference(reference);
}

/** The digest in a kubelet imageID ("docker-pullable://repo@sha256:...", "repo@sha256:..."); undefined otherwise. */
export function digestOfImageId(imageId: string | undefined): string | undefined {
  if (imageId === undefined) return undefined;
  const at = imageId.lastIndexOf("@");
  if (at === -1) return undefined; // A bare "sha256:..." is the image's config ID, not its manifest digest.
  const digest = imageId.slice(at + 1);
  return /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
}

function describePolicy(container: ContainerUpdatePolicy, policy: VersionPolicy): string {
  const filter = container.policy.kind !== "digest" && container.policy.filter !== undefined ? ` filter ${container.policy.filter.pattern}` : "";
  return `${policy.description}${filter}`;
}

function updateIdOf(error: DomainError): { updateId?: string } {
  const id = error.metadata.update_id;
  return id === undefined ? {} : { updateId: id };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function identity(entry: AvailableUpdate): string {
  return `${workloadKey(entry.workload)}|${entry.container}|${entry.availableImage}|${entry.status}|${entry.updateId ?? ""}`;
}

/** The entry without its check time, to tell a real change from a repeated check. */
function stable(entry: AvailableUpdate): unknown {
  const { checkTime: _checkTime, ...rest } = entry;
  return rest;
}

function compareAvailable(a: AvailableUpdate, b: AvailableUpdate): number {
  const left = `${a.workload.namespace}\0${a.workload.kind}\0${a.workload.name}\0${a.container}`;
  const right = `${b.workload.namespace}\0${b.workload.kind}\0${b.workload.name}\0${b.container}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

