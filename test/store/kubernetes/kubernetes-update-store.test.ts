import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import type { HandledFailure } from "../../../src/core/ports/failure-counter.js";
import { createKubernetesUpdateStore } from "../../../src/store/kubernetes/kubernetes-update-store.js";
import { createRecordingLogger, type LogLine } from "../../core/use-cases/engine-harness.js";
import { createFakeClock } from "../../support/fake-clock.js";
import { aRecord } from "../../contract/update-store-contract.js";

describe("the UpdateRun store's clean-up", () => {
  it("logs and counts a failed DELETE of a run whose first status did not land, and still reports the create's failure", async () => {
    const requests: string[] = [];
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        requests.push(`${request.method} ${request.path.split("/").slice(-2).join("/")}`);
        if (request.method === "POST") {
          const body = request.body as { metadata: Record<string, unknown> };
          return { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: "1" } } as T;
        }
        if (request.method === "PUT") throw new KubernetesApiError(500, { message: "etcdserver: leader changed" });
        throw new KubernetesApiError(503, { message: "the server is currently unable to handle the request" });
      },
    };
    const lines: LogLine[] = [];
    const counted: HandledFailure[] = [];
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest,
      namespace: "update-manager",
      clock: createFakeClock(),
      identity: "replica-a",
      logger: createRecordingLogger(lines),
      countFailure: (failure) => counted.push(failure),
    });
    await expect(store.create(aRecord("00000000-0000-4000-8000-000000000001"), [])).rejects.toMatchObject({ code: "unavailable" });
    expect(requests.map((request) => request.split(" ")[0])).toEqual(["POST", "PUT", "DELETE"]);
    expect(counted).toEqual(["run-cleanup"]);
    const warning = lines.find((line) => line.level === "warn");
    expect(warning?.message).toBe("deleting an UpdateRun whose first status failed did not work");
    expect(String((warning!.fields["err"] as Error).message)).toContain("unable to handle the request");
  });
});
