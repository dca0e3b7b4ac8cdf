import { describe, expect, it } from "vitest";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import { retryOnConflict } from "../../../src/store/kubernetes/retry-on-conflict.js";

const conflict = () => new KubernetesApiError(409, { message: "the object has been modified" });

describe("retryOnConflict", () => {
  it("runs the attempt again after a conflict, on a fresh read, until it writes", async () => {
    const indexes: number[] = [];
    const result = await retryOnConflict(5, async (index) => {
      indexes.push(index);
      if (index < 2) throw conflict();
      return "written";
    });
    expect(result).toBe("written");
    expect(indexes).toEqual([0, 1, 2]);
  });

  it("gives up after its retries with the last conflict, and never retries other errors", async () => {
    let attempts = 0;
    await expect(
      retryOnConflict(2, async () => {
        attempts++;
        throw conflict();
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    expect(attempts).toBe(3);

    attempts = 0;
    await expect(
      retryOnConflict(5, async () => {
        attempts++;
        throw new KubernetesApiError(500, { message: "etcd timeout" });
      }),
    ).rejects.toMatchObject({ statusCode: 500 });
    expect(attempts).toBe(1);
  });
});
