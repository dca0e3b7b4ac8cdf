import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { type ConfigFile, type LoadConfigFileOptions, loadConfigFile } from "../../src/config/load-config-file.js";

const variable = "UPDATE_MANAGER_THINGS_FILE";

/** Loads `text` as the file /etc/things.yaml, returning what parse got. */
function load(text: string, options: LoadConfigFileOptions = {}) {
  return loadConfigFile({ [variable]: " /etc/things.yaml " }, variable, (document, file) => ({ document, file }), {
    readText: () => text,
    ...options,
  });
}

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const missing = (): never => {
  throw Object.assign(new Error("ENOENT: no such file or directory, open '/etc/things.yaml'"), { code: "ENOENT" });
};

describe("loadConfigFile", () => {
  it("is undefined without reading anything when the variable is unset or blank", () => {
    const parse = () => {
      throw new Error("parse must not be called");
    };
    const readText = () => {
      throw new Error("nothing must be read");
    };
    expect(loadConfigFile({}, variable, parse, { readText })).toBeUndefined();
    expect(loadConfigFile({ [variable]: "  " }, variable, parse, { readText })).toBeUndefined();
  });

  it("hands parse the document (YAML or JSON) and the file, its path trimmed and named with the variable", () => {
    const file: ConfigFile = { path: "/etc/things.yaml", source: `${variable} (/etc/things.yaml)` };
    expect(load("things:\n  - a\n")).toEqual({ document: { things: ["a"] }, file });
    expect(load('{"things": ["b"]}')).toEqual({ document: { things: ["b"] }, file });
  });

  it("names the variable, the file and the error code when it cannot read the file", () => {
    expect(problems(() => load("", { readText: missing }))).toEqual([`${variable} (/etc/things.yaml): cannot read it: ENOENT`]);
    const noCode = () => {
      throw new Error("disk on fire");
    };
    expect(problems(() => load("", { readText: noCode }))).toEqual([`${variable} (/etc/things.yaml): cannot read it: disk on fire`]);
  });

  it("words the read problem as cannotRead says", () => {
    const cannotRead: LoadConfigFileOptions["cannotRead"] = (file, reason) => `${file.variable}: cannot read ${file.path}: ${reason}`;
    expect(problems(() => load("", { readText: missing, cannotRead }))).toEqual([`${variable}: cannot read /etc/things.yaml: ENOENT`]);
  });

  it("names the file of a document that is not YAML or JSON without quoting the content, and wants a mapping", () => {
    const invalid = problems(() => load('token: "s3cret\n'));
    expect(invalid).toEqual([`${variable} (/etc/things.yaml) is not valid YAML or JSON`]);
    expect(problems(() => load("- a\n- b\n"))).toEqual([`${variable} (/etc/things.yaml) must hold a mapping (an object) at the top level`]);
  });

  it("lets the ConfigError of parse through", () => {
    const error = new ConfigError(["bad thing"]);
    const parse = () => {
      throw error;
    };
    expect(() => loadConfigFile({ [variable]: "/x" }, variable, parse, { readText: () => "a: 1" })).toThrow(error);
  });
});
