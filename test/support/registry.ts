import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { importPKCS8, SignJWT } from "jose";
import { trackProcess } from "./process-registry.js";

const run = promisify(execFile);

/**
 * A real registry for the registry tier: Debian's `docker-registry` (github.com/docker/distribution 2.8)
 * on 127.0.0.1, with images the test builds as OCI layouts by hand and pushes with skopeo.
 */
export type RegistryAuth = "none" | "htpasswd" | "token";

export interface StartRegistryOptions {
  /**
   * How the registry authenticates. "htpasswd": HTTP basic against a bcrypt htpasswd file; "token": the
   * bearer token flow with a token server this harness runs (RS256 JWTs with an `x5c` header). Default: "none".
   */
  auth?: RegistryAuth;
  /** Seconds a token from the token server lives (its `expires_in`). Default: 300. */
  tokenExpiresInSeconds?: number;
  /** Whether the token server hands anonymous clients pull tokens. Default: false (credentials required). */
  anonymousPull?: boolean;
  /** Registry binary. Default: `$UPDATE_MANAGER_REGISTRY_BIN`, else `docker-registry` on PATH. */
  binary?: string;
  /** Bound on the start (registry answering `/v2/`). Default: 30 000 ms. */
  startTimeoutMs?: number;
  /**
   * A `notifications.endpoints` entry: the registry POSTs its event envelopes there with these headers (each a
   * single value), retrying every 500 ms. Default: no notifications.
   */
  notifications?: { readonly url: string; readonly headers: Readonly<Record<string, string>> };
}

export interface PushImageOptions {
  /**
   * Changes the image content (a file in its layer), so the same variant gives the same digest and another
   * variant a new one. Default: the tag.
   */
  variant?: string;
  /** Pushes an OCI image index over two platform images (linux/amd64, linux/arm64). Default: false. */
  index?: boolean;
}

/** One request the token server answered, for assertions on the token flow. */
export interface TokenRequest {
  readonly service: string | null;
  readonly scopes: readonly string[];
  /** The user name of the Basic credentials, undefined when anonymous. */
  readonly user: string | undefined;
  readonly status: number;
}

export interface TestRegistry {
  /** "127.0.0.1:PORT", the registry part of image references. */
  readonly host: string;
  /** "http://127.0.0.1:PORT". */
  readonly url: string;
  readonly auth: RegistryAuth;
  /** The user the registry (or the token server) accepts; empty with auth "none". */
  readonly username: string;
  readonly password: string;
  /** Token server base URL ("http://127.0.0.1:PORT"), token auth only. */
  readonly tokenServerUrl: string | undefined;
  /** Requests the token server answered, in order (token auth only; empty otherwise). */
  readonly tokenRequests: readonly TokenRequest[];
  /** Builds an OCI layout for `repo:tag` and pushes it with skopeo; resolves to the pushed manifest digest. */
  pushImage(repo: string, tag: string, options?: PushImageOptions): Promise<string>;
  /** The digest skopeo reports for `repo:tag` (`skopeo inspect`), independent of the client under test. */
  skopeoDigest(repo: string, tag: string): Promise<string>;
  /** A `.dockerconfigjson` document with the test user's credentials for this registry. */
  dockerConfigJson(): unknown;
  /** The registry's log so far (stdout and stderr), for failure messages. */
  log(): string;
  /** Stops the registry and the token server and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const registryService = "update-manager-test-registry";
const tokenIssuer = "update-manager-test-issuer";
const startAttempts = 3;

/** Starts a registry on a free loopback port; retries a lost port race up to three times. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= startAttempts; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw lastError;
}

class PortTakenError extends Error {}

async function startOnce(options: StartRegistryOptions): Promise<TestRegistry> {
  const auth = options.auth ?? "none";
  const binary = options.binary ?? process.env.UPDATE_MANAGER_REGISTRY_BIN ?? "docker-registry";
  const dir = await mkdtemp(join(tmpdir(), "um-registry-"));
  const username = auth === "none" ? "" : "ci-bot";
  const password = auth === "none" ? "" : `pw-${randomBytes(6).toString("hex")}`;
  const cleanups: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const tokenRequests: TokenRequest[] = [];
  let logText = "";

  const stop = async (): Promise<void> => {
    const steps = cleanups.splice(0).reverse();
    for (const step of steps) await step().catch(() => undefined);
  };

  try {
    const port = await freePort();
    let authYaml = "";
    let tokenServerUrl: string | undefined;
    if (auth === "htpasswd") {
      // distribution accepts bcrypt entries only.
      const { stdout } = await run("htpasswd", ["-Bbn", username, password]);
      await writeFile(join(dir, "htpasswd"), stdout);
      authYaml = `auth:\n  htpasswd:\n    realm: update-manager-test\n    path: ${join(dir, "htpasswd")}\n`;
    } else if (auth === "token") {
      const tokenServer = await startTokenServer({
        dir,
        username,
        password,
        expiresInSeconds: options.tokenExpiresInSeconds ?? 300,
        anonymousPull: options.anonymousPull ?? false,
        requests: tokenRequests,
      });
      cleanups.push(tokenServer.close);
      tokenServerUrl = tokenServer.url;
      authYaml =
        `auth:\n  token:\n    realm: ${tokenServer.url}/token\n    service: ${registryService}\n` +
        `    issuer: ${tokenIssuer}\n    rootcertbundle: ${tokenServer.certPath}\n`;
    }
    const config =
      `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString("hex")}\n` +
      authYaml +
      notificationsYaml(options.notifications);
    const configPath = join(dir, "config.yml");
    await writeFile(configPath, config);

    const spawned = spawn(binary, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    trackProcess(spawned, { group: true });
    const append = (chunk: Buffer) => {
      logText += chunk.toString();
      if (logText.length > 200_000) logText = logText.slice(-100_000);
    };
    spawned.stdout?.on("data", append);
    spawned.stderr?.on("data", append);
    const exited = new Promise<number | null>((resolve) => {
      spawned.once("exit", (code) => resolve(code));
      // A binary that cannot be started (not installed) emits no exit: fail at once, not at the start timeout.
      spawned.once("error", (error) => {
        logText += `\nspawn error: ${error.message}`;
        resolve(null);
      });
    });
    const killNow = () => killGroup(spawned, "SIGKILL");
    process.on("exit", killNow);
    cleanups.push(async () => {
      process.off("exit", killNow);
      if (spawned.exitCode === null && spawned.signalCode === null) {
        killGroup(spawned, "SIGTERM");
        const timer = setTimeout(() => killGroup(spawned, "SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    });

    const url = `http://127.0.0.1:${port}`;
    await waitUntilServing(url, exited, options.startTimeoutMs ?? 30_000, () => logText);

    const host = `127.0.0.1:${port}`;
    const skopeoCreds = auth === "none" ? [] : [`--creds=${username}:${password}`];
    return {
      host,
      url,
      auth,
      username,
      password,
      tokenServerUrl,
      tokenRequests,
      async pushImage(repo, tag, pushOptions = {}) {
        const layoutDir = join(dir, "layouts", randomBytes(6).toString("hex"));
        const digest = await writeOciLayout(layoutDir, tag, pushOptions.variant ?? tag, pushOptions.index ?? false);
        await skopeo([
          "copy",
          "--insecure-policy",
          "--dest-tls-verify=false",
          ...(pushOptions.index ? ["--all"] : []),
          ...(auth === "none" ? [] : [`--dest-creds=${username}:${password}`]),
          `oci:${layoutDir}:${tag}`,
          `docker://${host}/${repo}:${tag}`,
        ]);
        await rm(layoutDir, { recursive: true, force: true });
        return digest;
      },
      async skopeoDigest(repo, tag) {
        const stdout = await skopeo([
          "inspect",
          "--tls-verify=false",
          ...skopeoCreds,
          "--raw",
          `docker://${host}/${repo}:${tag}`,
        ]);
        // `inspect --raw` prints the manifest bytes as stored; its digest is what the registry serves.
        return `sha256:${createHash("sha256").update(stdout).digest("hex")}`;
      },
      dockerConfigJson() {
        const auth64 = Buffer.from(`${username}:${password}`).toString("base64");
        return { auths: { [host]: { auth: auth64 } } };
      },
      log: () => logText,
      stop,
    };
  } catch (error) {
    await stop();
    if (/address already in use/.test(logText)) throw new PortTakenError(logText);
    throw withInstallHint(error);
  }
}

/** distribution's `notifications` section for one endpoint (JSON is YAML: values are quoted safely). */
function notificationsYaml(notifications: StartRegistryOptions["notifications"]): string {
  if (notifications === undefined) return "";
  const headers = Object.entries(notifications.headers)
    .map(([name, value]) => `        ${JSON.stringify(name)}: [${JSON.stringify(value)}]\n`)
    .join("");
  return (
    `notifications:\n  endpoints:\n    - name: test-endpoint\n      url: ${JSON.stringify(notifications.url)}\n` +
    `      timeout: 2s\n      threshold: 5\n      backoff: 500ms\n` +
    (headers === "" ? "" : `      headers:\n${headers}`)
  );
}

/** The Debian package of each tool this helper runs (scripts/test.sh installs them for every tier that needs them). */
const toolPackages: Record<string, string> = {
  htpasswd: "apache2-utils",
  skopeo: "skopeo",
  openssl: "openssl",
};

/** Names the package to install when a tool is missing (`spawn htpasswd ENOENT` alone does not say). */
function withInstallHint(error: unknown): unknown {
  const { code, path } = error as NodeJS.ErrnoException;
  const pkg = typeof path === "string" ? toolPackages[path] : undefined;
  if (code === "ENOENT" && pkg !== undefined && error instanceof Error) {
    error.message += ` (install Debian's ${pkg}: the prepare function of this tier in scripts/test.sh must)`;
  }
  return error;
}

async function skopeo(args: string[]): Promise<Buffer> {
  try {
    const { stdout } = await run("skopeo", args, { encoding: "buffer", maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`skopeo ${args.join(" ")} failed: ${stderr || String(withInstallHint(error))}`);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** A free loopback port (the usual small race with whoever binds it next). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(
  url: string,
  exited: Promise<number | null>,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1_000 && Date.now() < deadline; attempt++) {
    if (exitCode !== undefined) {
      if (/address already in use/.test(log())) throw new PortTakenError(log());
      throw new Error(`docker-registry exited with ${exitCode} before serving:\n${tail(log())}`);
    }
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not serve ${url}/v2/ within ${timeoutMs} ms:\n${tail(log())}`);
}

function tail(text: string): string {
  return text.split("\n").slice(-40).join("\n");
}

// --- OCI layouts, written by hand ---------------------------------------------------------------

const ociManifestType = "application/vnd.oci.image.manifest.v1+json";
const ociIndexType = "application/vnd.oci.image.index.v1+json";
const ociConfigType = "application/vnd.oci.image.config.v1+json";
const ociLayerGzipType = "application/vnd.oci.image.layer.v1.tar+gzip";

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
}

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/*`) holding one image (or an index
 * over two) tagged `tag`, and returns the digest of the top manifest. Deterministic: same variant, same bytes.
 */
async function writeOciLayout(dir: string, tag: string, variant: string, index: boolean): Promise<string> {
  const blobsDir = join(dir, "blobs", "sha256");
  await mkdir(blobsDir, { recursive: true });
  const writeBlob = async (bytes: Buffer, mediaType: string): Promise<Descriptor> => {
    const hex = createHash("sha256").update(bytes).digest("hex");
    await writeFile(join(blobsDir, hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const writeImage = async (architecture: string): Promise<Descriptor> => {
    const tar = tarOneFile("variant.txt", `${variant} ${architecture}\n`);
    const layer = await writeBlob(gzipSync(tar, { level: 9 }), ociLayerGzipType);
    const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
    const config = {
      created: "2025-01-01T00:00:00Z",
      architecture,
      os: "linux",
      config: { Labels: { variant } },
      rootfs: { type: "layers", diff_ids: [diffId] },
    };
    const configDescriptor = await writeBlob(Buffer.from(JSON.stringify(config)), ociConfigType);
    const manifest = { schemaVersion: 2, mediaType: ociManifestType, config: configDescriptor, layers: [layer] };
    return await writeBlob(Buffer.from(JSON.stringify(manifest)), ociManifestType);
  };

  let top: Descriptor;
  if (index) {
    const amd64 = await writeImage("amd64");
    const arm64 = await writeImage("arm64");
    const imageIndex = {
      schemaVersion: 2,
      mediaType: ociIndexType,
      manifests: [
        { ...amd64, platform: { architecture: "amd64", os: "linux" } },
        { ...arm64, platform: { architecture: "arm64", os: "linux" } },
      ],
    };
    top = await writeBlob(Buffer.from(JSON.stringify(imageIndex)), ociIndexType);
  } else {
    top = await writeImage("amd64");
  }
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": tag } }],
    }),
  );
  return top.digest;
}

/** A ustar archive with one regular file: a 512-byte header, the content padded to 512, two zero blocks. */
function tarOneFile(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => header.write(text, offset, length, "ascii");
  put(name, 0, 100);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(`${body.length.toString(8).padStart(11, "0")}\0`, 124, 12);
  put(`${(1735689600).toString(8).padStart(11, "0")}\0`, 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}

// --- Token server --------------------------------------------------------------------------------

interface TokenServerOptions {
  dir: string;
  username: string;
  password: string;
  expiresInSeconds: number;
  anonymousPull: boolean;
  requests: TokenRequest[];
}

interface TokenServer {
  url: string;
  certPath: string;
  close(): Promise<void>;
}

/**
 * A token server as distribution 2.8 expects one (registry/auth/token): it verifies RS256 JWTs whose
 * header carries the signing certificate in `x5c` (base64 DER) chaining to `rootcertbundle`; claims
 * `iss` = the configured issuer, `aud` = the service (a string, not an array, in 2.8), `exp`/`nbf`
 * within 60 s leeway, and `access` listing the granted `{type, name, actions}`.
 */
async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const keyPath = join(options.dir, "token.key");
  const certPath = join(options.dir, "token.crt");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(keyPath, privateKey.export({ type: "pkcs8", format: "pem" }));
  await run("openssl", [
    "req",
    "-x509",
    "-new",
    "-key",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    "/CN=update-manager test token issuer",
  ]);
  const certDer = new X509Certificate(await readFile(certPath)).raw;
  const signingKey = await importPKCS8(await readFile(keyPath, "utf8"), "RS256");

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const scopes = url.searchParams.getAll("scope").flatMap((scope) => scope.split(" ").filter(Boolean));
    const service = url.searchParams.get("service");
    const user = basicUser(request.headers.authorization);
    const answer = (status: number, body: unknown) => {
      options.requests.push({ service, scopes, user: user?.name, status });
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname !== "/token") return answer(404, { error: "not found" });
    if (user !== undefined && (user.name !== options.username || user.password !== options.password)) {
      return answer(401, { errors: [{ code: "UNAUTHORIZED", message: "wrong user name or password" }] });
    }
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = splitScope(scope);
      if (type !== "repository" || name === undefined) return [];
      const allowed = user !== undefined ? ["pull", "push"] : options.anonymousPull ? ["pull"] : [];
      const granted = (actions ?? "").split(",").filter((action) => allowed.includes(action));
      return granted.length === 0 ? [] : [{ type, name, actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", x5c: [certDer.toString("base64")] })
      .setIssuer(tokenIssuer)
      .setSubject(user?.name ?? "")
      .setAudience(service ?? registryService)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + options.expiresInSeconds)
      .setJti(randomBytes(8).toString("hex"))
      .sign(signingKey);
    return answer(200, { token, access_token: token, expires_in: options.expiresInSeconds, issued_at: new Date(now * 1000).toISOString() });
  };

  const server: Server = createHttpServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    certPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** "repository:team/web:pull,push" -> ["repository", "team/web", "pull,push"]; names may not contain ":" here. */
function splitScope(scope: string): [string, string | undefined, string | undefined] {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first === -1 || last === first) return [scope, undefined, undefined];
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

function basicUser(header: string | undefined): { name: string; password: string } | undefined {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString();
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
