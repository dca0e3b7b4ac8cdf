import { defineConfig } from "vitest/config";

// Test tiers are told apart by file suffix so that tests can mirror `src/` whatever tier they belong to:
//   *.test.ts           unit tier: in-memory fakes only, no sockets beyond loopback helpers
//   *.e2e.test.ts       the real server process on a loopback port, on the embedded cluster
//   *.kube.test.ts      a real kube-apiserver + kube-controller-manager started by scripts/kube
//   *.registry.test.ts  Debian's docker-registry on loopback, images pushed with skopeo
//   *.browser.test.ts   headless Chromium driven by playwright-core
//   *.image.test.ts     the container image (scripts/image/build-image.sh) run with podman
const tiers = ["e2e", "kube", "registry", "browser", "image"] as const;

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
        },
      },
      ...tiers.map((tier) => ({
        test: {
          name: tier,
          include: [`test/**/*.${tier}.test.ts`],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Real components are shared per run (one control plane, one registry): keep files in one worker.
          fileParallelism: tier === "e2e",
          // These tiers run the server as production does, from dist/: built once per run when stale.
          ...(tier === "registry" || tier === "image" ? {} : { globalSetup: ["test/support/build-once.ts"] }),
        },
      })),
    ],
  },
});
