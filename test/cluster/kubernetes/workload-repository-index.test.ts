import { describe, expect, it } from "vitest";
import { createWorkloadRepositoryIndex } from "../../../src/cluster/kubernetes/workload-repository-index.js";
import type { Workload } from "../../../src/core/domain/workload.js";
import { aWorkload } from "../../support/workloads.js";

const names = (workloads: readonly Workload[]) => workloads.map((workload) => workload.ref.name).sort();

describe("createWorkloadRepositoryIndex", () => {
  it("finds a workload by the normalised repository of any of its containers, init containers included", () => {
    const index = createWorkloadRepositoryIndex();
    index.set("web", aWorkload("Deployment", { name: "web", image: "nginx:1.27" }));
    index.set(
      "api",
      aWorkload("Deployment", {
        name: "api",
        containers: [
          { name: "wait", image: "registry.example.com/shop/init:1", init: true },
          { name: "app", image: "registry.example.com/shop/api:2", init: false },
        ],
      }),
    );
    index.set("admin", aWorkload("Deployment", { name: "admin", image: "registry.example.com/shop/api-admin:2" }));

    expect(names(index.using("docker.io/library/nginx"))).toEqual(["web"]);
    expect(names(index.using("registry.example.com/shop/init"))).toEqual(["api"]);
    // A repository whose name starts like another's is another repository.
    expect(names(index.using("registry.example.com/shop/api"))).toEqual(["api"]);
    expect(index.using("registry.example.com/shop/nothing")).toEqual([]);
  });

  it("follows a workload whose image moves to another repository, and forgets a deleted one", () => {
    const index = createWorkloadRepositoryIndex();
    index.set("web", aWorkload("Deployment", { name: "web", image: "registry.example.com/shop/web:1" }));
    index.set("other", aWorkload("Deployment", { name: "other", image: "registry.example.com/shop/web:1" }));

    const moved = aWorkload("Deployment", { name: "web", image: "registry.example.com/shop/web-next:1" });
    index.set("web", moved);
    expect(names(index.using("registry.example.com/shop/web"))).toEqual(["other"]);
    expect(index.using("registry.example.com/shop/web-next")).toEqual([moved]);

    index.delete("other");
    index.delete("web");
    expect(index.using("registry.example.com/shop/web")).toEqual([]);
    expect(index.using("registry.example.com/shop/web-next")).toEqual([]);
  });

  it("skips an image that cannot be parsed and still indexes the workload's other containers", () => {
    const index = createWorkloadRepositoryIndex();
    const workload = aWorkload("Deployment", {
      containers: [
        { name: "bad", image: "Not A Valid Image!", init: false },
        { name: "app", image: "registry.example.com/shop/web:1", init: false },
      ],
    });
    index.set("web", workload);
    expect(index.using("registry.example.com/shop/web")).toEqual([workload]);
  });
});
