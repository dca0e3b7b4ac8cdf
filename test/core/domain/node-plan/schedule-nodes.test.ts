import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLabelSelector } from "../../../../src/core/domain/node-plan/label-selector.js";
import { type PlanNode, type ScheduleInput, scheduleNodes } from "../../../../src/core/domain/node-plan/schedule-nodes.js";

const planLabel = "plan.update-manager.io/os";
const nodes = (count: number, labels: Record<string, string> = {}): PlanNode[] =>
  Array.from({ length: count }, (_, index) => ({ name: `node-${index}`, labels: { ...labels } }));

function input(overrides: Partial<ScheduleInput>): ScheduleInput {
  return {
    planName: "os",
    hash: "h1",
    planLabel,
    concurrency: 1,
    nodeSelector: parseLabelSelector(undefined, "s"),
    exclusive: false,
    nodes: nodes(3),
    applying: [],
    finished: [],
    stopped: false,
    busyElsewhere: [],
    otherExclusiveApplying: false,
    windowOpen: true,
    gateOpen: true,
    ...overrides,
  };
}

describe("scheduleNodes", () => {
  it("starts as many nodes as concurrency allows, in a stable order", () => {
    const decision = scheduleNodes(input({ concurrency: 2, nodes: nodes(5) }));
    expect(decision.start).toHaveLength(2);
    expect(decision.pending).toHaveLength(5);
    expect(decision.pending.slice(0, 2)).toEqual(decision.start);
    expect(decision.waiting).toBe("concurrency");
    expect(scheduleNodes(input({ concurrency: 2, nodes: [...nodes(5)].reverse() })).start).toEqual(decision.start);
  });

  it("counts claimed nodes against concurrency", () => {
    expect(scheduleNodes(input({ concurrency: 2, nodes: nodes(5), applying: ["node-3"] })).start).toHaveLength(1);
    expect(scheduleNodes(input({ concurrency: 2, nodes: nodes(5), applying: ["node-3", "node-4"] })).start).toEqual([]);
  });

  it("skips nodes labelled with the current hash or disabled, and runs again on a new hash", () => {
    const labelled = [
      { name: "a", labels: { [planLabel]: "h1" } },
      { name: "b", labels: { [planLabel]: "disabled" } },
      { name: "c", labels: { [planLabel]: "h0" } },
    ];
    expect(scheduleNodes(input({ nodes: labelled, concurrency: 3 })).start).toEqual(["c"]);
    expect(scheduleNodes(input({ nodes: labelled, concurrency: 3, hash: "h2" })).start.toSorted()).toEqual(["a", "c"]);
  });

  it("is complete when every selected node carries the hash and nothing is applying", () => {
    const done = [{ name: "a", labels: { [planLabel]: "h1" } }];
    expect(scheduleNodes(input({ nodes: done })).complete).toBe(true);
    expect(scheduleNodes(input({ nodes: done, applying: ["a"] })).complete).toBe(false);
  });

  it("selects by the node selector only", () => {
    const mixed = [...nodes(2, { pool: "workers" }), { name: "system", labels: { pool: "system" } }];
    const decision = scheduleNodes(input({ nodes: mixed, concurrency: 5, nodeSelector: parseLabelSelector({ matchLabels: { pool: "workers" } }, "s") }));
    expect(decision.start.toSorted()).toEqual(["node-0", "node-1"]);
  });

  it.each([
    ["stopped", { stopped: true }],
    ["frozen", { frozen: true }],
    ["window-closed", { windowOpen: false }],
    ["exclusive", { exclusive: true, otherExclusiveApplying: true }],
    ["health-gate", { gateOpen: false }],
  ] as const)("starts nothing while %s", (reason, overrides) => {
    const decision = scheduleNodes(input(overrides));
    expect(decision.start).toEqual([]);
    expect(decision.waiting).toBe(reason);
    expect(decision.pending).toHaveLength(3);
  });

  it("never starts a node another plan is applying or one that finished this hash", () => {
    expect(scheduleNodes(input({ concurrency: 3, busyElsewhere: ["node-0"], finished: ["node-1"] })).start).toEqual(["node-2"]);
  });
});

/**
 * Random plans over random nodes, reconciled one at a time in random order (as the leader does) while Jobs finish
 * or fail at random and specs change: no plan ever has more nodes applying than its concurrency, no two exclusive
 * plans apply at once, no node is applied by two plans, and a stopped plan or a closed window starts nothing.
 */
describe("scheduleNodes over random plans, nodes and failures", () => {
  interface SimPlan {
    name: string;
    concurrency: number;
    exclusive: boolean;
    pool: string | undefined;
    hash: number;
    applying: string[];
    finished: string[];
    stopped: boolean;
    windowOpen: boolean;
  }
  const pools = ["a", "b", "c"];
  const planArb = fc.record({
    concurrency: fc.integer({ min: 1, max: 4 }),
    exclusive: fc.boolean(),
    pool: fc.option(fc.constantFrom(...pools), { nil: undefined }),
    windowOpen: fc.boolean(),
  });
  const stepArb = fc.oneof(
    fc.record({ kind: fc.constant("reconcile" as const), plan: fc.nat() }),
    fc.record({ kind: fc.constant("finish" as const), plan: fc.nat(), node: fc.nat(), ok: fc.boolean() }),
    fc.record({ kind: fc.constant("change-spec" as const), plan: fc.nat() }),
    fc.record({ kind: fc.constant("toggle-window" as const), plan: fc.nat() }),
    fc.record({ kind: fc.constant("relabel" as const), node: fc.nat(), pool: fc.constantFrom(...pools) }),
  );

  it("never exceeds concurrency and never overlaps exclusive plans", () => {
    fc.assert(
      fc.property(
        fc.array(planArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom(...pools), { minLength: 1, maxLength: 12 }),
        fc.array(stepArb, { maxLength: 80 }),
        (planSpecs, nodePools, steps) => {
          const plans: SimPlan[] = planSpecs.map((spec, index) => ({ ...spec, name: `p${index}`, hash: 0, applying: [], finished: [], stopped: false }));
          const nodeList = nodePools.map((pool, index) => ({ name: `n${index}`, labels: { pool } as Record<string, string> }));
          for (const step of steps) {
            if (step.kind === "relabel") {
              const node = nodeList[step.node % nodeList.length]!;
              node.labels = { ...node.labels, pool: step.pool };
              continue;
            }
            const plan = plans[step.plan % plans.length]!;
            if (step.kind === "toggle-window") plan.windowOpen = !plan.windowOpen;
            if (step.kind === "change-spec") {
              plan.hash += 1;
              plan.finished = [];
              plan.stopped = false;
            }
            if (step.kind === "finish" && plan.applying.length > 0) {
              const node = plan.applying[step.node % plan.applying.length]!;
              plan.applying = plan.applying.filter((name) => name !== node);
              plan.finished.push(node);
              if (step.ok) nodeList.find((entry) => entry.name === node)!.labels[`plan/${plan.name}`] = `h${plan.hash}`;
              else plan.stopped = true;
            }
            if (step.kind === "reconcile") {
              const decision = scheduleNodes({
                planName: plan.name,
                hash: `h${plan.hash}`,
                planLabel: `plan/${plan.name}`,
                concurrency: plan.concurrency,
                nodeSelector: parseLabelSelector(plan.pool === undefined ? undefined : { matchLabels: { pool: plan.pool } }, "s"),
                exclusive: plan.exclusive,
                nodes: nodeList.map((node) => ({ name: node.name, labels: { ...node.labels } })),
                applying: plan.applying,
                finished: plan.finished,
                stopped: plan.stopped,
                busyElsewhere: plans.filter((other) => other !== plan).flatMap((other) => other.applying),
                otherExclusiveApplying: plans.some((other) => other !== plan && other.exclusive && other.applying.length > 0),
                windowOpen: plan.windowOpen,
                gateOpen: true,
              });
              if (plan.stopped || !plan.windowOpen) expect(decision.start).toEqual([]);
              plan.applying.push(...decision.start);
            }
            for (const each of plans) expect(each.applying.length).toBeLessThanOrEqual(each.concurrency);
            expect(plans.filter((each) => each.exclusive && each.applying.length > 0).length).toBeLessThanOrEqual(1);
            const applied = plans.flatMap((each) => each.applying);
            expect(new Set(applied).size).toBe(applied.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
