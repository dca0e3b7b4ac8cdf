import { existsSync } from "node:fs";
import { join } from "node:path";
import { builtImage, containerLabel, containerTool, imageCacheDir } from "./container-image.js";

/**
 * vitest globalSetup of the tiers that run the image (image, kube): at the end of the run, removes every container
 * a test started and did not remove (a worker ended early, a setup that failed between `podman run` and its
 * clean-up). Containers are not child processes (conmon runs them), so the process registry cannot see them:
 * they carry a label instead.
 */
export default function setup(): () => Promise<void> {
  return async () => {
    if (!existsSync(join(imageCacheDir, "image.env"))) return;
    const image = builtImage();
    const left = await containerTool(image, "podman", ["ps", "--all", "--quiet", "--filter", `label=${containerLabel}`]);
    const ids = left.stdout.split("\n").filter(Boolean);
    if (ids.length === 0) return;
    await containerTool(image, "podman", ["rm", "--force", "--time", "0", ...ids]);
    process.stderr.write(`test teardown: removed ${ids.length} container(s) left by a test\n`);
  };
}
