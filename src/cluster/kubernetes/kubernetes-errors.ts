import type { V1Status } from "@kubernetes/client-node";
import { DomainError } from "../../core/domain/domain-error.js";

/** An HTTP error answer of the API server, with the Status object it sent when it sent one. */
export class KubernetesApiError extends Error {
  override readonly name = "KubernetesApiError";

  constructor(
    readonly statusCode: number,
    readonly status: V1Status | undefined,
    /** Retry-After in seconds, when the server sent one (429, some 503s). */
    readonly retryAfterSeconds?: number,
  ) {
    super(status?.message || `the API server answered HTTP ${statusCode}`);
  }
}

/** The API call that failed, for messages and ErrorInfo metadata. */
export interface KubernetesOperation {
  /** The Kubernetes verb: get, list, watch, create, patch. */
  readonly verb: string;
  /** Resource as RBAC names it, e.g. "deployments.apps". */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** The HTTP status of an error from this adapter or from client-node (ApiException, Watch); undefined for network errors. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof KubernetesApiError) return error.statusCode;
  if (typeof error !== "object" || error === null) return undefined;
  const candidate = error as { statusCode?: unknown; code?: unknown };
  if (typeof candidate.statusCode === "number") return candidate.statusCode;
  // client-node's ApiException carries the HTTP status as a numeric `code`; Node's network errors use string codes.
  if (typeof candidate.code === "number") return candidate.code;
  return undefined;
}

/** 409 with reason AlreadyExists: a create found an object of that name. */
export function isAlreadyExists(error: unknown): boolean {
  if (statusCodeOf(error) !== 409) return false;
  const reason = error instanceof KubernetesApiError ? error.status?.reason : undefined;
  return reason === undefined || reason === "AlreadyExists";
}

/** A JSON patch `test` op failed: the API server answers 422 (older servers and some proxies 409). */
export function isPatchTestFailure(error: unknown): boolean {
  const code = statusCodeOf(error);
  return code === 422 || code === 409;
}

/**
 * The one place Kubernetes errors become DomainErrors:
 * 404 not-found, 403 permission-denied (naming verb and resource), 401 and 5xx, 429 and network
 * failures unavailable (CLUSTER_ERROR: the manager's link to the cluster, not the caller, is at
 * fault), 409 aborted, 400/422 failed-precondition (the object as it is cannot take the change).
 */
export function toDomainError(error: unknown, operation: KubernetesOperation): DomainError {
  if (error instanceof DomainError) return error;
  const target = describeOperation(operation);
  const detail = errorDetail(error);
  const code = statusCodeOf(error);
  const metadata: Record<string, string> = { resource: operation.resource, verb: operation.verb };
  if (operation.namespace !== undefined) metadata["namespace"] = operation.namespace;
  if (operation.name !== undefined) metadata["name"] = operation.name;

  if (code === undefined) {
    return new DomainError("unavailable", "CLUSTER_ERROR", `the Kubernetes API server could not be reached to ${target}: ${detail}`, {
      metadata,
      cause: error,
    });
  }
  if (code === 404) {
    return new DomainError("not-found", "CLUSTER_ERROR", `cannot ${target}: it does not exist (${detail})`, { metadata, cause: error });
  }
  if (code === 403) {
    const denied = `${operation.verb} ${operation.resource}${operation.namespace === undefined ? "" : ` in namespace ${operation.namespace}`}`;
    return new DomainError(
      "permission-denied",
      "PERMISSION_DENIED",
      `the update manager's service account may not ${denied} (grant it in its Role/ClusterRole): ${detail}`,
      { metadata: { ...metadata, denied }, cause: error },
    );
  }
  if (code === 401) {
    return new DomainError("unavailable", "CLUSTER_ERROR", `the Kubernetes API server rejected the update manager's credentials to ${target}: ${detail}`, {
      metadata,
      cause: error,
    });
  }
  if (code === 409) {
    return new DomainError("aborted", "CLUSTER_ERROR", `cannot ${target}: ${detail}`, { metadata, cause: error });
  }
  if (code === 400 || code === 422) {
    return new DomainError("failed-precondition", "CLUSTER_ERROR", `the Kubernetes API server refused to ${target}: ${detail}`, {
      metadata,
      cause: error,
    });
  }
  const retryAfterSeconds = error instanceof KubernetesApiError ? error.retryAfterSeconds : undefined;
  return new DomainError("unavailable", "CLUSTER_ERROR", `the Kubernetes API server failed to ${target} (HTTP ${code}): ${detail}`, {
    metadata,
    cause: error,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterMs: retryAfterSeconds * 1000 }),
  });
}

/** `patch deployments.apps "web" in namespace "shop"`. */
export function describeOperation(operation: KubernetesOperation): string {
  const name = operation.name === undefined ? "" : ` ${JSON.stringify(operation.name)}`;
  const namespace = operation.namespace === undefined ? "" : ` in namespace ${JSON.stringify(operation.namespace)}`;
  return `${operation.verb} ${operation.resource}${name}${namespace}`;
}

function errorDetail(error: unknown): string {
  if (error instanceof KubernetesApiError) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
