import { parseArgs, type ParseArgsConfig } from "node:util";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { parseDuration } from "../config/duration.js";
import {
  type ConnectionOptions,
  type Credential,
  defaultUrl,
  normaliseServerUrl,
  parseProtocol,
  resolveHttpVersion,
} from "./connection-options.js";
import { helpTexts } from "./help-text.js";
import { deriveIdempotencyKey } from "./idempotency-key.js";
import { UsageError } from "./usage-error.js";
import { traceContextFromEnv } from "./trace-context.js";

/** How results are printed. */
export type OutputFormat = "text" | "json";

interface CommonOptions {
  readonly connection: ConnectionOptions;
  readonly output: OutputFormat;
}

export interface UpdateCommand extends CommonOptions {
  readonly name: "update";
  readonly image: string;
  readonly classifier: string;
  readonly dryRun: boolean;
  readonly wait: boolean;
  readonly updateTimeoutMs?: number;
  readonly waitTimeoutMs?: number;
  readonly idempotencyKey?: string;
  readonly overrideQuarantine: boolean;
}

export interface WatchCommand extends CommonOptions {
  readonly name: "watch";
  readonly updateId: string;
  readonly afterSequence: bigint;
  readonly waitTimeoutMs?: number;
}

export interface TargetsCommand extends CommonOptions {
  readonly name: "targets";
  readonly classifier?: string;
  readonly repository?: string;
  readonly namespace?: string;
}

export interface UpdatesCommand extends CommonOptions {
  readonly name: "updates";
  readonly classifier?: string;
  readonly states: readonly UpdateState[];
  readonly requester?: string;
  readonly limit: number;
}

/** `approve ID` or `reject ID [--reason R]`. */
export interface DecideCommand extends CommonOptions {
  readonly name: "approve" | "reject";
  readonly updateId: string;
  readonly reason?: string;
}

/** `freeze [--reason R]`, `freeze --status` or `unfreeze`. */
export interface FreezeCommand extends CommonOptions {
  readonly name: "freeze" | "unfreeze";
  readonly reason?: string;
  /** `freeze --status`: only show the freeze in force. */
  readonly statusOnly: boolean;
}

/**
 * `plans` (the list), `plans NAME` (one plan), `plans NAME --dry-run` (the nodes in the plan's order), or
 * `plans watch NAME` (follow the plan until it is complete, failed or invalid).
 */
export type PlansCommand = CommonOptions & { readonly name: "plans" } & (
    | { readonly action: "list" }
    | { readonly action: "get"; readonly plan: string; readonly dryRun: boolean }
    | { readonly action: "watch"; readonly plan: string; readonly afterSequence: bigint; readonly waitTimeoutMs?: number }
  );

/** A command line, parsed and checked. */
export type CliCommand =
  | { readonly name: "help"; readonly text: string }
  | { readonly name: "version" }
  | UpdateCommand
  | WatchCommand
  | TargetsCommand
  | UpdatesCommand
  | DecideCommand
  | FreezeCommand
  | PlansCommand;

type Env = Readonly<Record<string, string | undefined>>;
type Options = NonNullable<ParseArgsConfig["options"]>;

const connectionOptions = {
  url: { type: "string" },
  "api-key": { type: "string" },
  "id-token-file": { type: "string" },
  protocol: { type: "string" },
  "http-version": { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const commandOptions = {
  update: {
    image: { type: "string" },
    classifier: { type: "string" },
    "update-classifier": { type: "string" },
    wait: { type: "boolean" },
    "update-timeout": { type: "string" },
    "wait-timeout": { type: "string" },
    "dry-run": { type: "boolean" },
    "idempotency-key": { type: "string" },
    "no-idempotency-key": { type: "boolean" },
    "override-quarantine": { type: "boolean" },
  },
  watch: {
    "after-sequence": { type: "string" },
    "wait-timeout": { type: "string" },
  },
  targets: {
    classifier: { type: "string" },
    "update-classifier": { type: "string" },
    repository: { type: "string" },
    namespace: { type: "string" },
  },
  updates: {
    classifier: { type: "string" },
    "update-classifier": { type: "string" },
    state: { type: "string", multiple: true },
    requester: { type: "string" },
    limit: { type: "string" },
  },
  approve: {},
  reject: {
    reason: { type: "string" },
  },
  freeze: {
    reason: { type: "string" },
    status: { type: "boolean" },
  },
  unfreeze: {},
  plans: {
    "dry-run": { type: "boolean" },
    "after-sequence": { type: "string" },
    "wait-timeout": { type: "string" },
  },
} as const satisfies Record<string, Options>;

type CommandName = keyof typeof commandOptions;

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandOptions, name);
}

/**
 * Parses the CLI's arguments (without `node` and the script) and environment into a command. Flags win over
 * environment variables. Throws UsageError for anything the user has to fix.
 */
export function parseCommandLine(argv: readonly string[], env: Env): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") return { name: "help", text: helpTexts[""] ?? "" };
  if (first === "--version") return { name: "version" };
  if (first === "help") {
    const topic = rest[0] ?? "";
    const text = helpTexts[topic];
    if (text === undefined) throw new UsageError(`unknown command "${topic}"`);
    return { name: "help", text };
  }
  if (first.startsWith("-")) throw new UsageError(`expected a command before ${first}`);
  if (!isCommandName(first)) throw new UsageError(`unknown command "${first}"`);

  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...connectionOptions, ...commandOptions[first] },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ""), first);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const flags = new Flags(values, first);
  if (flags.boolean("help")) return { name: "help", text: helpTexts[first] ?? "" };

  const positionals = parsed.positionals;
  let common: CommonOptions;
  try {
    common = { connection: parseConnection(flags, env), output: parseOutput(flags) };
  } catch (error) {
    throw error instanceof UsageError && error.command === undefined ? new UsageError(error.message, first) : error;
  }
  switch (first) {
    case "update":
      noPositionals(positionals, first);
      return parseUpdate(flags, env, common);
    case "watch": {
      const [updateId, ...extra] = positionals;
      if (updateId === undefined || updateId === "") throw new UsageError("watch needs an update id", first);
      noPositionals(extra, first);
      const waitTimeoutMs = flags.duration("wait-timeout");
      return {
        name: "watch",
        ...common,
        updateId,
        afterSequence: flags.sequence("after-sequence"),
        ...(waitTimeoutMs === undefined ? {} : { waitTimeoutMs }),
      };
    }
    case "targets": {
      noPositionals(positionals, first);
      const classifier = flags.classifier();
      const repository = flags.string("repository");
      const namespace = flags.string("namespace");
      return {
        name: "targets",
        ...common,
        ...(classifier === undefined ? {} : { classifier }),
        ...(repository === undefined ? {} : { repository }),
        ...(namespace === undefined ? {} : { namespace }),
      };
    }
    case "updates": {
      noPositionals(positionals, first);
      const classifier = flags.classifier();
      const requester = flags.string("requester");
      return {
        name: "updates",
        ...common,
        ...(classifier === undefined ? {} : { classifier }),
        ...(requester === undefined ? {} : { requester }),
        states: flags.strings("state").map((text) => parseState(text)),
        limit: flags.positiveInteger("limit") ?? 20,
      };
    }
    case "approve":
    case "reject": {
      const [updateId, ...extra] = positionals;
      if (updateId === undefined || updateId === "") throw new UsageError(`${first} needs an update id`, first);
      noPositionals(extra, first);
      const reason = first === "reject" ? flags.string("reason") : undefined;
      return { name: first, ...common, updateId, ...(reason === undefined ? {} : { reason }) };
    }
    case "freeze":
    case "unfreeze": {
      noPositionals(positionals, first);
      const reason = first === "freeze" ? flags.string("reason") : undefined;
      const statusOnly = flags.boolean("status");
      if (statusOnly && reason !== undefined) throw new UsageError("--status only shows the freeze: it takes no --reason", first);
      return { name: first, ...common, statusOnly, ...(reason === undefined ? {} : { reason }) };
    }
    case "plans":
      return parsePlans(positionals, flags, common);
  }
}

function parsePlans(positionals: readonly string[], flags: Flags, common: CommonOptions): PlansCommand {
  const [first, second, ...extra] = positionals;
  const dryRun = flags.boolean("dry-run");
  const watchOnly = (flag: string) => {
    if (flags.string(flag) !== undefined) throw new UsageError(`--${flag} is for "plans watch NAME"`, "plans");
  };
  if (first === "watch") {
    if (second === undefined || second === "") throw new UsageError("plans watch needs a plan name", "plans");
    noPositionals(extra, "plans");
    if (dryRun) throw new UsageError("--dry-run is for \"plans NAME\": a watch changes nothing anyway", "plans");
    const waitTimeoutMs = flags.duration("wait-timeout");
    return {
      name: "plans",
      ...common,
      action: "watch",
      plan: second,
      afterSequence: flags.sequence("after-sequence"),
      ...(waitTimeoutMs === undefined ? {} : { waitTimeoutMs }),
    };
  }
  watchOnly("after-sequence");
  watchOnly("wait-timeout");
  if (first === undefined) {
    if (dryRun) throw new UsageError("--dry-run needs a plan name: plans NAME --dry-run", "plans");
    return { name: "plans", ...common, action: "list" };
  }
  noPositionals(second === undefined ? [] : [second], "plans");
  return { name: "plans", ...common, action: "get", plan: first, dryRun };
}

function parseUpdate(flags: Flags, env: Env, common: CommonOptions): UpdateCommand {
  const image = flags.string("image") ?? fromEnv(env, "IMAGE");
  const classifier =
    flags.classifier() ?? fromEnv(env, "CLASSIFIER") ?? fromEnv(env, "UPDATE_CLASSIFIER");
  if (image === undefined) throw new UsageError("--image is required (or UPDATE_MANAGER_IMAGE)", "update");
  if (classifier === undefined) {
    throw new UsageError("--classifier is required (or UPDATE_MANAGER_CLASSIFIER)", "update");
  }
  const dryRun = flags.boolean("dry-run");
  const waitTimeoutMs = flags.duration("wait-timeout");
  const updateTimeoutMs = flags.duration("update-timeout");
  const wait = flags.boolean("wait") || waitTimeoutMs !== undefined;
  if (dryRun && wait) throw new UsageError("--dry-run changes nothing, so there is nothing to --wait for", "update");

  const explicitKey = flags.string("idempotency-key") ?? nonEmpty(env.UPDATE_MANAGER_IDEMPOTENCY_KEY);
  if (flags.boolean("no-idempotency-key") && flags.string("idempotency-key") !== undefined) {
    throw new UsageError("--idempotency-key and --no-idempotency-key contradict each other", "update");
  }
  const idempotencyKey =
    flags.boolean("no-idempotency-key") || dryRun
      ? undefined
      : (explicitKey ?? deriveIdempotencyKey(env, { image, classifier }));
  if (idempotencyKey !== undefined && idempotencyKey.length > 128) {
    throw new UsageError("--idempotency-key: at most 128 characters", "update");
  }
  return {
    name: "update",
    ...common,
    image,
    classifier,
    dryRun,
    wait,
    overrideQuarantine: flags.boolean("override-quarantine"),
    ...(updateTimeoutMs === undefined ? {} : { updateTimeoutMs }),
    ...(waitTimeoutMs === undefined ? {} : { waitTimeoutMs }),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
}

function parseConnection(flags: Flags, env: Env): ConnectionOptions {
  const baseUrl = normaliseServerUrl(flags.string("url") ?? fromEnv(env, "URL") ?? defaultUrl);
  const protocol = parseProtocol(flags.string("protocol") ?? nonEmpty(env.UPDATE_MANAGER_PROTOCOL) ?? "connect");
  const httpVersion = resolveHttpVersion(baseUrl, protocol, flags.string("http-version"));
  const traceContext = traceContextFromEnv(env);
  return { baseUrl, protocol, httpVersion, credential: parseCredential(flags, env), ...(traceContext === undefined ? {} : { traceContext }) };
}

/** Flags replace the environment's credential as a whole; two credentials from the same source are an error. */
function parseCredential(flags: Flags, env: Env): Credential {
  const apiKey = flags.string("api-key");
  const tokenFile = flags.string("id-token-file");
  if (apiKey !== undefined && tokenFile !== undefined) {
    throw new UsageError("--api-key and --id-token-file are both set: use one");
  }
  if (apiKey !== undefined) return { kind: "api-key", key: apiKey };
  if (tokenFile !== undefined) return { kind: "id-token-file", path: tokenFile };
  const fromEnv: Credential[] = [];
  const envKey = nonEmpty(env.UPDATE_MANAGER_API_KEY);
  const envFile = nonEmpty(env.UPDATE_MANAGER_ID_TOKEN_FILE);
  const envToken = nonEmpty(env.UPDATE_MANAGER_ID_TOKEN);
  if (envKey !== undefined) fromEnv.push({ kind: "api-key", key: envKey });
  if (envFile !== undefined) fromEnv.push({ kind: "id-token-file", path: envFile });
  if (envToken !== undefined) fromEnv.push({ kind: "id-token", token: envToken });
  if (fromEnv.length > 1) {
    throw new UsageError(
      "more than one of UPDATE_MANAGER_API_KEY, UPDATE_MANAGER_ID_TOKEN_FILE and UPDATE_MANAGER_ID_TOKEN is set: " +
        "set one, or pass --api-key or --id-token-file",
    );
  }
  return fromEnv[0] ?? { kind: "none" };
}

function parseOutput(flags: Flags): OutputFormat {
  const output = flags.string("output") ?? "text";
  if (output !== "text" && output !== "json") throw new UsageError(`--output: "${output}" is not one of text, json`);
  return output;
}

const stateNames = new Map<string, UpdateState>([
  ["queued", UpdateState.QUEUED],
  ["waiting-for-approval", UpdateState.WAITING_FOR_APPROVAL],
  ["waiting-for-gate", UpdateState.WAITING_FOR_GATE],
  ["pending", UpdateState.PENDING],
  ["running", UpdateState.RUNNING],
  ["rolling-back", UpdateState.ROLLING_BACK],
  ["succeeded", UpdateState.SUCCEEDED],
  ["failed", UpdateState.FAILED],
  ["rolled-back", UpdateState.ROLLED_BACK],
  ["rollback-failed", UpdateState.ROLLBACK_FAILED],
  ["cancelled", UpdateState.CANCELLED],
]);

function parseState(text: string): UpdateState {
  const key = text
    .toLowerCase()
    .replace(/^update_state_/, "")
    .replaceAll("_", "-");
  const state = stateNames.get(key);
  if (state === undefined) {
    throw new UsageError(`--state: "${text}" is not one of ${[...stateNames.keys()].join(", ")}`, "updates");
  }
  return state;
}

function noPositionals(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, command);
}

/**
 * `UPDATE_MANAGER_<name>`, else the original CLI's older spelling `UPDATE_MANGER_<name>` (sic), so a
 * pipeline written for the original keeps its variables.
 */
function fromEnv(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  return nonEmpty(env[`UPDATE_MANAGER_${name}`]) ?? nonEmpty(env[`UPDATE_MANGER_${name}`]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Typed access to parsed flag values, with messages that name the flag. */
class Flags {
  constructor(
    private readonly values: Record<string, string | boolean | string[] | undefined>,
    private readonly command: string,
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    if (typeof value !== "string") return undefined;
    if (value === "") throw new UsageError(`--${name} must not be empty`, this.command);
    return value;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : [];
  }

  boolean(name: string): boolean {
    return this.values[name] === true;
  }

  /** `--classifier`, or the original CLI's `--update-classifier`. */
  classifier(): string | undefined {
    const current = this.string("classifier");
    const original = this.string("update-classifier");
    if (current !== undefined && original !== undefined && current !== original) {
      throw new UsageError("--classifier and --update-classifier differ: use one", this.command);
    }
    return current ?? original;
  }

  duration(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      throw new UsageError(`--${name}: "${text}" is not a positive duration such as 90s, 10m or 1h30m`, this.command);
    }
    return ms;
  }

  sequence(name: string): bigint {
    const text = this.string(name);
    if (text === undefined) return 0n;
    if (!/^\d{1,19}$/.test(text)) throw new UsageError(`--${name}: "${text}" is not a sequence number`, this.command);
    return BigInt(text);
  }

  positiveInteger(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 10_000) {
      throw new UsageError(`--${name}: "${text}" is not a whole number from 1 to 10000`, this.command);
    }
    return Number(text);
  }
}
