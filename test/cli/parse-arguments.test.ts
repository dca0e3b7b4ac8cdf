import { describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { parseCommandLine, type UpdateCommand } from "../../src/cli/parse-arguments.js";
import { UsageError } from "../../src/cli/usage-error.js";

const image = "registry.example.com/shop/web:1.5.0";

function update(argv: string[], env: Record<string, string> = {}): UpdateCommand {
  const command = parseCommandLine(["update", ...argv], env);
  if (command.name !== "update") throw new Error(`parsed as ${command.name}`);
  return command;
}

function usageError(argv: string[], env: Record<string, string> = {}): UsageError {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`${argv.join(" ")} parsed without error`);
}

describe("update", () => {
  it("takes image, classifier, wait and Go-style durations", () => {
    const command = update([
      "--image",
      image,
      "--classifier",
      "shop",
      "--wait",
      "--update-timeout",
      "10m",
      "--wait-timeout",
      "1h30m",
    ]);
    expect(command).toMatchObject({
      image,
      classifier: "shop",
      wait: true,
      dryRun: false,
      updateTimeoutMs: 600_000,
      waitTimeoutMs: 5_400_000,
      overrideQuarantine: false,
      output: "text",
    });
    expect(command.connection).toEqual({
      baseUrl: "http://localhost:9000",
      protocol: "connect",
      httpVersion: "1.1",
      credential: { kind: "none" },
    });
  });

  it("accepts the original CLI's command line: --url with the /updates path and --update-classifier", () => {
    const command = update([
      "--url",
      "https://deploy.example.com/updates",
      "--image",
      image,
      "--update-classifier",
      "shop",
      "--api-key",
      "k3y-of-the-pipeline",
    ]);
    expect(command.classifier).toBe("shop");
    expect(command.connection.baseUrl).toBe("https://deploy.example.com");
    expect(command.connection.credential).toEqual({ kind: "api-key", key: "k3y-of-the-pipeline" });
  });

  it("reads the original's environment names, and the new ones", () => {
    const original = update([], {
      UPDATE_MANAGER_URL: "http://um.internal:9000/updates/",
      UPDATE_MANAGER_API_KEY: "from-env",
      UPDATE_MANAGER_IMAGE: image,
      UPDATE_MANAGER_UPDATE_CLASSIFIER: "shop",
    });
    expect(original).toMatchObject({ image, classifier: "shop" });
    expect(original.connection.baseUrl).toBe("http://um.internal:9000");
    expect(original.connection.credential).toEqual({ kind: "api-key", key: "from-env" });
    expect(update([], { UPDATE_MANAGER_IMAGE: image, UPDATE_MANAGER_CLASSIFIER: "billing" }).classifier).toBe("billing");
  });

  it("reads the original's older UPDATE_MANGER_* spellings too; the right spelling wins", () => {
    const older = update([], {
      UPDATE_MANGER_URL: "http://um.internal:9000/updates",
      UPDATE_MANAGER_API_KEY: "from-env",
      UPDATE_MANGER_IMAGE: image,
      UPDATE_MANGER_UPDATE_CLASSIFIER: "shop",
    });
    expect(older).toMatchObject({ image, classifier: "shop" });
    expect(older.connection.baseUrl).toBe("http://um.internal:9000");
    expect(update([], { UPDATE_MANGER_IMAGE: image, UPDATE_MANGER_CLASSIFIER: "billing" }).classifier).toBe("billing");
    expect(update([], { UPDATE_MANGER_IMAGE: "nginx:1", UPDATE_MANAGER_IMAGE: image, UPDATE_MANAGER_CLASSIFIER: "x" }).image).toBe(image);
  });

  it("lets flags win over the environment", () => {
    const command = update(["--image", "nginx:1.27", "--classifier", "edge", "--url", "http://other:9000"], {
      UPDATE_MANAGER_IMAGE: image,
      UPDATE_MANAGER_CLASSIFIER: "shop",
      UPDATE_MANAGER_URL: "http://um:9000",
    });
    expect(command).toMatchObject({ image: "nginx:1.27", classifier: "edge" });
    expect(command.connection.baseUrl).toBe("http://other:9000");
  });

  it("lets --id-token-file replace an API key from the environment, but refuses both flags", () => {
    const command = update(["--image", image, "--classifier", "shop", "--id-token-file", "/var/run/token"], {
      UPDATE_MANAGER_API_KEY: "from-env",
    });
    expect(command.connection.credential).toEqual({ kind: "id-token-file", path: "/var/run/token" });
    expect(
      usageError(["update", "--image", image, "--classifier", "shop", "--api-key", "k", "--id-token-file", "f"]).message,
    ).toContain("--api-key and --id-token-file");
    expect(
      usageError(["update", "--image", image, "--classifier", "shop"], {
        UPDATE_MANAGER_API_KEY: "k",
        UPDATE_MANAGER_ID_TOKEN: "t",
      }).message,
    ).toContain("more than one");
  });

  it("makes --wait-timeout imply --wait", () => {
    expect(update(["--image", image, "--classifier", "shop", "--wait-timeout", "30s"]).wait).toBe(true);
    expect(update(["--image", image, "--classifier", "shop"]).wait).toBe(false);
  });

  it("derives an idempotency key in CI, takes an explicit one, and can send none", () => {
    const github = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "42", GITHUB_RUN_ATTEMPT: "1", GITHUB_JOB: "deploy" };
    expect(update(["--image", image, "--classifier", "shop"], github).idempotencyKey).toMatch(/^github:42:1:deploy:/);
    expect(update(["--image", image, "--classifier", "shop", "--idempotency-key", "mine"], github).idempotencyKey).toBe(
      "mine",
    );
    expect(update(["--image", image, "--classifier", "shop", "--no-idempotency-key"], github).idempotencyKey).toBeUndefined();
    expect(update(["--image", image, "--classifier", "shop"], {}).idempotencyKey).toBeUndefined();
    expect(update(["--image", image, "--classifier", "shop", "--dry-run"], github).idempotencyKey).toBeUndefined();
  });

  it("refuses what cannot run, naming the flag", () => {
    expect(usageError(["update", "--classifier", "shop"]).message).toContain("--image is required");
    expect(usageError(["update", "--image", image]).message).toContain("--classifier is required");
    expect(usageError(["update", "--image", image, "--classifier", "shop", "--wait-timeout", "10 minutes"]).message).toContain(
      "--wait-timeout",
    );
    expect(usageError(["update", "--image", image, "--classifier", "shop", "--update-timeout", "0"]).message).toContain(
      "positive duration",
    );
    expect(usageError(["update", "--image", image, "--classifier", "shop", "--dry-run", "--wait"]).message).toContain(
      "--dry-run",
    );
    expect(usageError(["update", "--image", image, "--classifier", "a", "--update-classifier", "b"]).message).toContain(
      "differ",
    );
    expect(usageError(["update", "--image", image, "--classifier", "shop", "--frobnicate"]).message).toContain(
      "--frobnicate",
    );
    expect(usageError(["update", "--image", image, "--classifier", "shop", "extra"]).message).toContain('"extra"');
    expect(usageError(["update", "--image", image, "--classifier", "shop", "--idempotency-key", "k".repeat(129)]).message).toContain(
      "128",
    );
    // The message points at the right --help.
    expect(usageError(["update", "--image", image]).command).toBe("update");
    expect(usageError(["targets", "--url", "nope"]).command).toBe("targets");
  });
});

describe("connection flags", () => {
  const base = ["targets"];

  it("defaults to Connect over HTTP/2 for https and HTTP/1.1 for http", () => {
    const https = parseCommandLine([...base, "--url", "https://um.example.com"], {});
    const http = parseCommandLine([...base, "--url", "http://um:9000"], {});
    if (https.name !== "targets" || http.name !== "targets") throw new Error("not targets");
    expect([https.connection.protocol, https.connection.httpVersion]).toEqual(["connect", "2"]);
    expect([http.connection.protocol, http.connection.httpVersion]).toEqual(["connect", "1.1"]);
  });

  it("speaks gRPC over HTTP/2 only, and gRPC-Web or Connect over either", () => {
    const grpc = parseCommandLine([...base, "--protocol", "grpc"], {});
    const grpcWeb = parseCommandLine([...base, "--protocol", "grpc-web", "--http-version", "2"], {});
    const fromEnv = parseCommandLine(base, { UPDATE_MANAGER_PROTOCOL: "grpc" });
    if (grpc.name !== "targets" || grpcWeb.name !== "targets" || fromEnv.name !== "targets") throw new Error("not targets");
    expect(grpc.connection.httpVersion).toBe("2");
    expect(grpcWeb.connection).toMatchObject({ protocol: "grpc-web", httpVersion: "2" });
    expect(fromEnv.connection.protocol).toBe("grpc");
    expect(usageError([...base, "--protocol", "grpc", "--http-version", "1.1"]).message).toContain("gRPC needs HTTP/2");
    expect(usageError([...base, "--protocol", "rest"]).message).toContain("connect, grpc, grpc-web");
  });

  it("keeps a path prefix behind a proxy and refuses what is not an http(s) URL", () => {
    const command = parseCommandLine([...base, "--url", "https://ci.example.com/update-manager/"], {});
    if (command.name !== "targets") throw new Error("not targets");
    expect(command.connection.baseUrl).toBe("https://ci.example.com/update-manager");
    expect(usageError([...base, "--url", "um.example.com"]).message).toContain("not a URL");
    expect(usageError([...base, "--url", "ftp://um"]).message).toContain("http:// or https://");
    expect(usageError([...base, "--url", "https://user:pw@um"]).message).toContain("credentials");
  });

  it("takes --output json and refuses other formats", () => {
    const command = parseCommandLine([...base, "-o", "json"], {});
    expect(command).toMatchObject({ output: "json" });
    expect(usageError([...base, "--output", "yaml"]).message).toContain("text, json");
  });
});

describe("watch, targets, updates", () => {
  it("parses watch ID with a sequence to resume after", () => {
    expect(parseCommandLine(["watch", "u-1", "--after-sequence", "12", "--wait-timeout", "5m"], {})).toMatchObject({
      name: "watch",
      updateId: "u-1",
      afterSequence: 12n,
      waitTimeoutMs: 300_000,
    });
    expect(usageError(["watch"]).message).toContain("update id");
    expect(usageError(["watch", "u-1", "--after-sequence", "-3"]).message).toContain("sequence");
  });

  it("parses target filters, with the original's --update-classifier too", () => {
    expect(parseCommandLine(["targets", "--update-classifier", "shop", "--namespace", "shop"], {})).toMatchObject({
      name: "targets",
      classifier: "shop",
      namespace: "shop",
    });
  });

  it("parses repeated --state names in either spelling, and a limit", () => {
    expect(
      parseCommandLine(["updates", "--state", "rolled-back", "--state", "UPDATE_STATE_FAILED", "--limit", "5"], {}),
    ).toMatchObject({ name: "updates", states: [UpdateState.ROLLED_BACK, UpdateState.FAILED], limit: 5 });
    expect(parseCommandLine(["updates"], {})).toMatchObject({ states: [], limit: 20 });
    expect(usageError(["updates", "--state", "done"]).message).toContain("rolled-back");
    expect(usageError(["updates", "--limit", "0"]).message).toContain("--limit");
  });
});

describe("help", () => {
  it("has help for the program and each command", () => {
    expect(parseCommandLine([], {})).toMatchObject({ name: "help", text: expect.stringContaining("Commands:") });
    for (const name of ["update", "watch", "targets", "updates"]) {
      const help = parseCommandLine([name, "--help"], {});
      expect(help).toMatchObject({ name: "help", text: expect.stringContaining(`update-manager ${name}`) });
      expect(parseCommandLine(["help", name], {})).toEqual(help);
    }
    expect(parseCommandLine(["update", "-h"], {})).toMatchObject({ text: expect.stringContaining("--update-classifier") });
  });

  it("refuses an unknown command", () => {
    expect(usageError(["deploy"]).message).toContain('unknown command "deploy"');
    expect(usageError(["--image", "x"]).message).toContain("expected a command");
  });
});
