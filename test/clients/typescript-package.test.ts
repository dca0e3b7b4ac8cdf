import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { ExitCode as CliExitCode, exitCodeForState as cliExitCodeForState } from "../../src/cli/exit-codes.js";
import { ExitCode, exitCodeForState } from "../../clients/typescript/src/exit-codes.js";

const packageDir = "clients/typescript";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe("clients/typescript, the publishable TS client", () => {
  it("ships the same generated code as gen/ (buf generate writes both)", () => {
    const generated = filesUnder("gen");
    expect(filesUnder(join(packageDir, "src/gen"))).toEqual(generated);
    for (const file of generated) {
      expect(readFileSync(join(packageDir, "src/gen", file), "utf8"), file).toBe(readFileSync(join("gen", file), "utf8"));
    }
  });

  it("gives every update state and exit code the CLI's meaning", () => {
    expect(ExitCode).toEqual(CliExitCode);
    for (const state of Object.values(UpdateState).filter((value) => typeof value === "number")) {
      expect(exitCodeForState(state), UpdateState[state]).toBe(cliExitCodeForState(state));
    }
  });

  it("pins the Connect dependencies to the versions the server is built and tested with", () => {
    const own = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const root = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    for (const [name, version] of Object.entries(own.dependencies)) expect(version, name).toBe(root.dependencies[name]);
  });
});
