import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import type { RequestOptions } from "node:https";
import { isIPv6 } from "node:net";
import { parse as parseYaml } from "yaml";
import type { KubeConnection } from "./kube-connection.js";

const serviceAccountRoot = "/var/run/secrets/kubernetes.io/serviceaccount";
/** client-go re-reads a token file at most this often: projected ServiceAccount tokens are rotated on disk. */
const tokenFileRefreshMs = 60_000;

/** The kubeconfig fields this loader reads; anything else in a user or cluster makes it hand over to client-node. */
interface KubeconfigDocument {
  readonly "current-context"?: string;
  readonly clusters?: readonly { readonly name: string; readonly cluster?: Record<string, unknown> }[];
  readonly users?: readonly { readonly name: string; readonly user?: Record<string, unknown> }[];
  readonly contexts?: readonly { readonly name: string; readonly context?: { readonly cluster?: string; readonly user?: string } }[];
}

const handledClusterFields = new Set([
  "server",
  "certificate-authority",
  "certificate-authority-data",
  "insecure-skip-tls-verify",
  "tls-server-name",
  "extensions",
]);
const handledUserFields = new Set([
  "token",
  "tokenFile",
  "client-certificate",
  "client-certificate-data",
  "client-key",
  "client-key-data",
  "username",
  "password",
  "extensions",
]);

export interface LoadKubeConnectionOptions {
  /** Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: os.homedir(). */
  readonly home?: string;
  /** Where the pod's ServiceAccount is mounted. Default: /var/run/secrets/kubernetes.io/serviceaccount. */
  readonly serviceAccountRoot?: string;
  /** Hands a kubeconfig this loader does not handle to client-node. Default: `KubeConfig.loadFromDefault()`. */
  readonly fallback?: () => Promise<KubeConnection>;
}

/**
 * The kubeconfig client-go would use, in the same order: the files in KUBECONFIG (merged: the first definition of a
 * name wins, the current-context of a later file overrides, as client-node does), ~/.kube/config, the pod's
 * ServiceAccount, else http://localhost:8080. Tokens, token files, client certificates, basic auth and the TLS
 * settings are handled here without client-node, whose generated API costs about 70 MiB of memory once imported;
 * exec plugins, auth providers, impersonation and proxies are handed to client-node's `KubeConfig`, imported on the
 * first request.
 *
 * @throws Error when a kubeconfig cannot be read or names a context, cluster or user it does not define.
 */
export function loadKubeConnection(options: LoadKubeConnectionOptions = {}): KubeConnection {
  const env = options.env ?? process.env;
  const saRoot = options.serviceAccountRoot ?? serviceAccountRoot;
  const fallback = options.fallback ?? loadClientNodeKubeConfig;
  const files = (env.KUBECONFIG ?? "").split(delimiter).filter((file) => file !== "");
  if (files.length === 0) {
    const home = options.home ?? homedir();
    const defaultFile = join(home, ".kube", "config");
    if (existsSync(defaultFile)) files.push(defaultFile);
  }
  if (files.length > 0) return fromKubeconfigFiles(files, fallback);
  if (existsSync(join(saRoot, "token"))) return inCluster(env, saRoot);
  return createConnection({ server: "http://localhost:8080" }, {});
}

/** The TLS and credential settings of one cluster and user, with file paths made absolute. */
interface ClusterSettings {
  readonly server: string;
  readonly caFile?: string;
  readonly caData?: string;
  readonly skipTlsVerify?: boolean;
  readonly tlsServerName?: string;
}

interface UserSettings {
  readonly token?: string;
  readonly tokenFile?: string;
  readonly certFile?: string;
  readonly certData?: string;
  readonly keyFile?: string;
  readonly keyData?: string;
  readonly username?: string;
  readonly password?: string;
}

function inCluster(env: Readonly<Record<string, string | undefined>>, root: string): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "";
  // As client-node: plain HTTP on the usual insecure ports.
  const scheme = port === "80" || port === "8080" || port === "8001" ? "http" : "https";
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return createConnection({ server, caFile: join(root, "ca.crt") }, { tokenFile: join(root, "token") });
}

function fromKubeconfigFiles(files: readonly string[], fallback: () => Promise<KubeConnection>): KubeConnection {
  let currentContext: string | undefined;
  const clusters = new Map<string, Record<string, unknown>>();
  const users = new Map<string, Record<string, unknown>>();
  const contexts = new Map<string, { cluster?: string; user?: string }>();
  for (const file of files) {
    let document: KubeconfigDocument;
    try {
      document = (parseYaml(readFileSync(file, "utf8")) ?? {}) as KubeconfigDocument;
    } catch (error) {
      throw new Error(`the kubeconfig ${file} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    const base = dirname(file);
    if (document["current-context"]) currentContext = document["current-context"];
    for (const entry of document.clusters ?? []) {
      if (!clusters.has(entry.name)) clusters.set(entry.name, absolutePaths(entry.cluster ?? {}, base, ["certificate-authority"]));
    }
    for (const entry of document.users ?? []) {
      if (!users.has(entry.name)) users.set(entry.name, absolutePaths(entry.user ?? {}, base, ["client-certificate", "client-key", "tokenFile"]));
    }
    for (const entry of document.contexts ?? []) {
      if (!contexts.has(entry.name)) contexts.set(entry.name, entry.context ?? {});
    }
  }
  const described = files.join(delimiter);
  if (currentContext === undefined) throw new Error(`the kubeconfig ${described} has no current-context`);
  const context = contexts.get(currentContext);
  if (context === undefined) throw new Error(`the kubeconfig ${described} has no context ${JSON.stringify(currentContext)}`);
  const cluster = clusters.get(context.cluster ?? "");
  if (cluster === undefined || typeof cluster.server !== "string") {
    throw new Error(`the kubeconfig ${described} has no cluster ${JSON.stringify(context.cluster)} with a server`);
  }
  const user = users.get(context.user ?? "") ?? {};
  const clusterSettings: ClusterSettings = {
    server: cluster.server,
    ...optionalString("caFile", cluster["certificate-authority"]),
    ...optionalString("caData", cluster["certificate-authority-data"]),
    ...(cluster["insecure-skip-tls-verify"] === true ? { skipTlsVerify: true } : {}),
    ...optionalString("tlsServerName", cluster["tls-server-name"]),
  };
  const handled =
    Object.keys(cluster).every((key) => handledClusterFields.has(key)) && Object.keys(user).every((key) => handledUserFields.has(key));
  if (!handled) return delegated(clusterSettings.server, fallback);
  return createConnection(clusterSettings, {
    ...optionalString("token", user.token),
    ...optionalString("tokenFile", user.tokenFile),
    ...optionalString("certFile", user["client-certificate"]),
    ...optionalString("certData", user["client-certificate-data"]),
    ...optionalString("keyFile", user["client-key"]),
    ...optionalString("keyData", user["client-key-data"]),
    ...optionalString("username", user.username),
    ...optionalString("password", user.password),
  });
}

function optionalString<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return (typeof value === "string" && value !== "" ? { [key]: value } : {}) as { [P in K]?: string };
}

function absolutePaths(fields: Record<string, unknown>, base: string, keys: readonly string[]): Record<string, unknown> {
  const out = { ...fields };
  for (const key of keys) {
    const value = out[key];
    if (typeof value === "string" && value !== "" && !isAbsolute(value)) out[key] = join(base, value);
  }
  return out;
}

function createConnection(cluster: ClusterSettings, user: UserSettings): KubeConnection {
  let token: { value: string; readAt: number } | undefined;
  const currentToken = (): string | undefined => {
    if (user.token !== undefined) return user.token;
    if (user.tokenFile === undefined) return undefined;
    const now = Date.now();
    if (token === undefined || now - token.readAt >= tokenFileRefreshMs) {
      token = { value: readFileSync(user.tokenFile, "utf8").trim(), readAt: now };
    }
    return token.value;
  };
  // Read once: a CA or client certificate on disk changes only with a new pod (client-node reads them per request).
  let tls: Pick<RequestOptions, "ca" | "cert" | "key"> | undefined;
  const tlsFiles = (): Pick<RequestOptions, "ca" | "cert" | "key"> => {
    tls ??= {
      ...bufferOption("ca", cluster.caFile, cluster.caData),
      ...bufferOption("cert", user.certFile, user.certData),
      ...bufferOption("key", user.keyFile, user.keyData),
    };
    return tls;
  };
  const server = cluster.server.replace(/\/+$/, "");
  return {
    getCurrentCluster: () => ({ server }),
    async applyToHTTPSOptions(options) {
      Object.assign(options, tlsFiles());
      if (cluster.skipTlsVerify) options.rejectUnauthorized = false;
      if (cluster.tlsServerName !== undefined) options.servername = cluster.tlsServerName;
      const bearer = currentToken();
      const headers = { ...(options.headers as Record<string, string> | undefined) };
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      options.headers = headers;
      if (user.username !== undefined) options.auth = `${user.username}:${user.password ?? ""}`;
    },
  };
}

function bufferOption<K extends string>(key: K, file: string | undefined, data: string | undefined): { [P in K]?: Buffer } {
  if (data !== undefined) return { [key]: Buffer.from(data, "base64") } as { [P in K]?: Buffer };
  if (file !== undefined) return { [key]: readFileSync(file) } as { [P in K]?: Buffer };
  return {};
}

/** A kubeconfig only client-node handles (exec plugin, auth provider, proxy, impersonation): loaded on first use. */
function delegated(server: string, fallback: () => Promise<KubeConnection>): KubeConnection {
  let loaded: Promise<KubeConnection> | undefined;
  const trimmed = server.replace(/\/+$/, "");
  return {
    getCurrentCluster: () => ({ server: trimmed }),
    async applyToHTTPSOptions(options) {
      loaded ??= fallback();
      await (await loaded).applyToHTTPSOptions(options);
    },
  };
}

async function loadClientNodeKubeConfig(): Promise<KubeConnection> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
