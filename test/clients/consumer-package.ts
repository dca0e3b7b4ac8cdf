import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = resolve(".");

export interface ConsumerPackage {
  /** The consumer's directory: a copy of examples/pipeline whose node_modules has `update-manager`. */
  readonly app: string;
  /** The installed `update-manager`: package.json as in the repository plus `dist/gen` as `npm run build` lays it out. */
  readonly installed: string;
  cleanup(): Promise<void>;
}

/**
 * Lays out what `npm install` gives a consumer of this package: node_modules/update-manager with the repository's
 * package.json (its `exports`) and gen/ compiled by tsc with tsconfig.build.json's settings into dist/gen, and the
 * example's own dependencies. Dependencies are symlinked from this repository's node_modules (no registry).
 */
export async function createConsumerPackage(): Promise<ConsumerPackage> {
  const base = await mkdtemp(join(tmpdir(), "um-consumer-"));
  const installed = join(base, "update-manager");
  const app = join(base, "app");
  await mkdir(installed, { recursive: true });
  await copyFile(join(root, "package.json"), join(installed, "package.json"));
  await symlink(join(root, "node_modules"), join(installed, "node_modules"), "dir");

  // Only gen/ (the public part), compiled with the build's settings; rootDir "." puts it in dist/gen like `npm run build`.
  const build = JSON.parse(await readFile(join(root, "tsconfig.build.json"), "utf8")) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  if (build.compilerOptions.outDir !== "dist" || build.compilerOptions.rootDir !== ".") {
    throw new Error("tsconfig.build.json no longer builds gen/ into dist/gen: update package.json exports");
  }
  const tsconfig = join(base, "tsconfig.gen.json");
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(root, "tsconfig.build.json"),
      compilerOptions: { outDir: join(installed, "dist"), rootDir: root, sourceMap: false, types: [] },
      include: [join(root, "gen")],
    }),
  );
  await run(join(root, "node_modules/.bin/tsc"), ["-p", tsconfig], { timeout: 60_000 });

  await mkdir(join(app, "node_modules/@connectrpc"), { recursive: true });
  await mkdir(join(app, "node_modules/@bufbuild"), { recursive: true });
  await mkdir(join(app, "node_modules/@types"), { recursive: true });
  for (const file of ["package.json", "tsconfig.json", "pipeline.ts"]) {
    await copyFile(join(root, "examples/pipeline", file), join(app, file));
  }
  await symlink(installed, join(app, "node_modules/update-manager"), "dir");
  for (const dep of ["@connectrpc/connect", "@connectrpc/connect-node", "@bufbuild/protobuf", "@types/node", "tsx", "typescript"]) {
    await symlink(join(root, "node_modules", dep), join(app, "node_modules", dep), "dir");
  }
  return { app, installed, cleanup: () => rm(base, { recursive: true, force: true }) };
}
