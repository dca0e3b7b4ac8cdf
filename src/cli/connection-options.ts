import type { TraceContext } from "./trace-context.js";
import { UsageError } from "./usage-error.js";

/** The wire protocol the CLI speaks. */
export type Protocol = "connect" | "grpc" | "grpc-web";

/** How the CLI proves who it is. */
export type Credential =
  | { readonly kind: "none" }
  | { readonly kind: "api-key"; readonly key: string }
  /** Read on every call, so a token file that is refreshed while the CLI waits keeps working. */
  | { readonly kind: "id-token-file"; readonly path: string }
  | { readonly kind: "id-token"; readonly token: string };

/** Where and how to reach the Update Manager. */
export interface ConnectionOptions {
  /** Base URL of the API port, without a trailing slash (a path prefix behind a proxy is kept). */
  readonly baseUrl: string;
  readonly protocol: Protocol;
  readonly httpVersion: "1.1" | "2";
  readonly credential: Credential;
  /** Sent on every call so the manager's spans continue the pipeline's trace. Default: none. */
  readonly traceContext?: TraceContext;
}

/** The default server: the API port of a manager on this machine (`npm start`). */
export const defaultUrl = "http://localhost:9000";

/**
 * Turns the `--url` value into the base URL the generated client needs. The original CLI took the full REST
 * endpoint (`https://host/updates`); its trailing `/updates` is dropped so those pipelines keep working.
 */
export function normaliseServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url: "${text}" is not a URL; expected for example https://update-manager.example.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url: "${text}" must start with http:// or https://`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new UsageError(`--url: "${text}" must not have a query or fragment`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError("--url must not contain credentials: use --api-key or --id-token-file");
  }
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/updates")) path = path.slice(0, -"/updates".length);
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Picks the HTTP version. The default is Connect over HTTP/2 for `https` (negotiated with ALPN, which every TLS
 * terminator speaks) and over HTTP/1.1 for `http` (proxies rarely pass cleartext HTTP/2). gRPC needs HTTP/2
 * end to end.
 */
export function resolveHttpVersion(baseUrl: string, protocol: Protocol, requested: string | undefined): "1.1" | "2" {
  if (requested !== undefined && requested !== "1.1" && requested !== "2") {
    throw new UsageError(`--http-version: "${requested}" is not one of 1.1, 2`);
  }
  if (protocol === "grpc") {
    if (requested === "1.1") throw new UsageError("--http-version 1.1: gRPC needs HTTP/2; use --protocol connect or grpc-web");
    return "2";
  }
  if (requested !== undefined) return requested;
  return baseUrl.startsWith("https:") ? "2" : "1.1";
}

/** Checks a `--protocol` value. */
export function parseProtocol(text: string): Protocol {
  if (text === "connect" || text === "grpc" || text === "grpc-web") return text;
  throw new UsageError(`--protocol: "${text}" is not one of connect, grpc, grpc-web`);
}
