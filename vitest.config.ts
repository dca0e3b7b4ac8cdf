import { defineConfig } from "vitest/config";

// Test tiers are told apart by file suffix so that tests can mirror `src/` whatever tier they belong to:
//   *.test.ts           unit tier: in-memory fakes only, no sockets beyond loopback helpers
//   *.e2e.test.ts       the real server process on a loopback port, on the embedded cluster
//   *.kube.test.ts      a real kube-apiserver + kube-controller-manager started by scripts/kube
//   *.registry.test.ts  Debian's docker-registry on loopback, images pushed with skopeo
//   *.browser.test.ts   headless Chromium driven by playwright-core
//   *.image.test.ts     the container image (scripts/image/build-image.sh) run with podman
//   *.ops.test.ts       Debian's promtool and prometheus over the alert rules, the dashboard and the server's /metrics;
//                       notifications to a real SMTP server and webhook/Slack/Telegram HTTP servers on loopback
const tiers = ["e2e", "kube", "registry", "browser", "image", "ops"] as const;
// Stops, at the end of the run, any process a test started and left running (see test/support/process-registry.ts).
const globalSetup = ["./test/support/global-setup.ts"];

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: tiers.map((tier) => `test/**/*.${tier}.test.ts`),
          testTimeout: 10_000,
          globalSetup,
        },
      },
      ...tiers.map((tier) => ({
        test: {
          name: tier,
          include: [`test/**/*.${tier}.test.ts`],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          globalSetup: [
            ...globalSetup,
            // The tiers that start the server run it as production does, from dist/: built once per run when stale.
            ...(tier === "registry" || tier === "image" ? [] : ["./test/support/build-once.ts"]),
            // The tiers that run the container image remove what a test left behind.
            ...(tier === "image" || tier === "kube" ? ["./test/support/container-teardown.ts"] : []),
          ],
          // Real components are shared per run (one control plane, one registry): keep files in one worker.
          fileParallelism: tier === "e2e",
        },
      })),
    ],
  },
});
