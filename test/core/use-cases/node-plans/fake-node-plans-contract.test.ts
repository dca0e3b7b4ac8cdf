import { describeNodePlansPortContract } from "../../../contract/node-plans-port-contract.js";
import { createFakeClock } from "../../../support/fake-clock.js";
import { createFakeNodePlans } from "./fake-node-plans.js";

describeNodePlansPortContract("the tests' in-memory fake", async () => {
  const fake = createFakeNodePlans(createFakeClock());
  fake.addNode("node-1");
  return {
    port: fake.port,
    namespace: "system-upgrade",
    node: "node-1",
    async createPlan(name, spec) {
      fake.applyPlan(name, spec);
    },
    async eventually(check) {
      if (!check()) throw new Error("the fake's state did not hold at once");
    },
  };
});
