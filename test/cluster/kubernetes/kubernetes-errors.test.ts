import { describe, expect, it } from "vitest";
import {
  isAlreadyExists,
  isPatchTestFailure,
  KubernetesApiError,
  type KubernetesOperation,
  toDomainError,
} from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import { DomainError } from "../../../src/core/domain/domain-error.js";

const patch: KubernetesOperation = { verb: "patch", resource: "deployments.apps", namespace: "shop", name: "web" };

function apiError(code: number, reason: string, message: string, retryAfterSeconds?: number): KubernetesApiError {
  return new KubernetesApiError(code, { kind: "Status", status: "Failure", code, reason, message }, retryAfterSeconds);
}

describe("toDomainError", () => {
  it("maps 404 to not-found with the server's words", () => {
    const error = toDomainError(apiError(404, "NotFound", 'deployments.apps "web" not found'), patch);
    expect(error).toMatchObject({ code: "not-found", reason: "CLUSTER_ERROR" });
    expect(error.message).toContain('deployments.apps "web" not found');
    expect(error.metadata).toMatchObject({ resource: "deployments.apps", namespace: "shop", name: "web" });
  });

  it("maps 403 to permission-denied naming the verb and resource that were refused", () => {
    const error = toDomainError(apiError(403, "Forbidden", "forbidden"), patch);
    expect(error).toMatchObject({
      code: "permission-denied",
      reason: "PERMISSION_DENIED",
      metadata: { denied: "patch deployments.apps in namespace shop" },
    });
    expect(error.message).toContain("may not patch deployments.apps in namespace shop");
  });

  it("maps 5xx and 429 to unavailable, keeping Retry-After", () => {
    expect(toDomainError(apiError(503, "ServiceUnavailable", "etcd down"), patch)).toMatchObject({
      code: "unavailable",
      reason: "CLUSTER_ERROR",
    });
    expect(toDomainError(apiError(429, "TooManyRequests", "slow down", 2), patch)).toMatchObject({
      code: "unavailable",
      retryAfterMs: 2000,
    });
  });

  it("maps network failures to unavailable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
    const error = toDomainError(refused, patch);
    expect(error).toMatchObject({ code: "unavailable", reason: "CLUSTER_ERROR" });
    expect(error.message).toContain("could not be reached");
    expect(error.cause).toBe(refused);
  });

  it("maps client-node's errors by their numeric code", () => {
    const apiException = Object.assign(new Error("HTTP-Code: 403"), { code: 403 });
    expect(toDomainError(apiException, patch).code).toBe("permission-denied");
  });

  it("maps a refused object (422) to failed-precondition and passes DomainErrors through", () => {
    expect(toDomainError(apiError(422, "Invalid", "spec.template.spec.containers[0].image: Required value"), patch).code).toBe(
      "failed-precondition",
    );
    const domain = new DomainError("aborted", "IMAGE_CONFLICT", "x");
    expect(toDomainError(domain, patch)).toBe(domain);
  });
});

describe("error classes", () => {
  it("tells AlreadyExists from an update conflict", () => {
    expect(isAlreadyExists(apiError(409, "AlreadyExists", 'jobs.batch "m" already exists'))).toBe(true);
    expect(isAlreadyExists(apiError(409, "Conflict", "the object has been modified"))).toBe(false);
    expect(isAlreadyExists(apiError(422, "Invalid", "x"))).toBe(false);
  });

  it("treats 422 and 409 answers to a patch as failed tests", () => {
    expect(isPatchTestFailure(apiError(422, "Invalid", "testing value failed"))).toBe(true);
    expect(isPatchTestFailure(apiError(409, "Conflict", "x"))).toBe(true);
    expect(isPatchTestFailure(apiError(500, "InternalError", "x"))).toBe(false);
    expect(isPatchTestFailure(new Error("socket hang up"))).toBe(false);
  });
});
