import { Writable } from "node:stream";
import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/logger.js";
import { isSecretName, redactSecrets, redactText } from "../../src/telemetry/redact-secrets.js";

/** A destination that keeps the lines written to it. */
function capture(isTTY = false) {
  const lines: string[] = [];
  const destination = Object.assign(
    new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split("\n").filter((line) => line !== ""));
        callback();
      },
    }),
    { isTTY },
  );
  return { lines, destination };
}

describe("createLogger", () => {
  it("writes one JSON object per line with the level name, an ISO time and the message", () => {
    const { lines, destination } = capture();
    createLogger({ destination, level: "info" }).info({ port: 9000 }, "api server listening");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({ level: "info", msg: "api server listening", port: 9000 });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it("drops lines below the level", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, level: "warn" });
    logger.info("hidden");
    logger.warn("shown");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["shown"]);
  });

  it("never writes credentials, in log objects or in child bindings", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination }).child({ token: "child-secret" });
    logger.info(
      {
        headers: { authorization: "Bearer hunter2hunter2hunter2", "content-type": "application/json" },
        apiKey: "0123456789abcdef",
        idempotencyKey: "build-42",
      },
      "request",
    );
    const text = lines.join("\n");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("0123456789abcdef");
    expect(text).not.toContain("child-secret");
    const line = JSON.parse(lines[0] as string);
    expect(line.headers).toEqual({ authorization: "[redacted]", "content-type": "application/json" });
    expect(line.idempotencyKey).toBe("build-42");
  });

  it("writes human-readable lines when pretty, and JSON when auto is not on a terminal", () => {
    const pretty = capture();
    createLogger({ destination: pretty.destination, format: "pretty" }).info({ apiKey: "0123456789abcdef" }, "hello");
    expect(pretty.lines[0]).toMatch(/INFO.*hello/);
    expect(pretty.lines.join("\n")).not.toContain("0123456789abcdef");

    const auto = capture(false);
    createLogger({ destination: auto.destination, format: "auto" }).info("hello");
    expect(JSON.parse(auto.lines[0] as string).msg).toBe("hello");

    const terminal = capture(true);
    createLogger({ destination: terminal.destination, format: "auto" }).info("hello");
    expect(terminal.lines[0]).toMatch(/INFO.*hello/);
  });
});

describe("redactSecrets", () => {
  it("knows credential names and spares well-known harmless ones", () => {
    for (const name of ["authorization", "Authorization", "apiKey", "api_key", "privateKey", "token", "accessToken", "cookie"]) {
      expect(isSecretName(name)).toBe(true);
    }
    for (const name of ["idempotencyKey", "keyPrefix", "nextPageToken", "namespace", "image"]) {
      expect(isSecretName(name)).toBe(false);
    }
  });

  it("leaves objects without secrets as they are", () => {
    const clean = { a: 1, nested: { b: [1, 2] }, image: "registry.example:5000/team/app:1.2.3" };
    expect(redactSecrets(clean)).toBe(clean);
    expect(redactSecrets({ list: [{ token: "t" }] })).toEqual({ list: [{ token: "[redacted]" }] });
  });

  it("blanks credentials written inside text, keeping the rest readable", () => {
    expect(redactText("sent Authorization: Bearer abc.def-ghi to 127.0.0.1")).not.toContain("abc.def-ghi");
    expect(redactText("GET https://robot:s3cr3t-pass@registry.example/v2/")).toBe("GET https://[redacted]@registry.example/v2/");
    expect(redactText('{"username":"robot","password":"s3cr3t-pass"}')).toBe('{"username":"robot","password":"[redacted]"}');
    expect(redactText("token=abcdef&scope=repository:app:pull")).toBe("token=[redacted]&scope=repository:app:pull");
    expect(redactText("update 42 failed: image app:1.2.3 is quarantined")).toBe("update 42 failed: image app:1.2.3 is quarantined");
  });
});

describe("createLogger with errors", () => {
  const secrets = ["hunter2hunter2", "s3cr3t-pass", "dXNlcjpzM2NyM3QtcGFzcw==", "0123456789abcdef", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"];

  function expectNoSecret(lines: readonly string[]): void {
    const text = lines.join("\n");
    for (const secret of secrets) expect(text).not.toContain(secret);
  }

  it("never writes credentials held in an error's message, stack, fields or cause chain", () => {
    const { lines, destination } = capture();
    const root = new Error('registry said 401 for {"auths":{"registry.example":{"password":"s3cr3t-pass","auth":"dXNlcjpzM2NyM3QtcGFzcw=="}}}');
    const middle = new Error("token request with Authorization: Basic dXNlcjpzM2NyM3QtcGFzcw== failed", { cause: root });
    const top = Object.assign(new Error("checking https://robot:s3cr3t-pass@registry.example/v2/app/tags/list failed", { cause: middle }), {
      headers: { authorization: "Bearer hunter2hunter2" },
      apiKey: "0123456789abcdef",
    });
    createLogger({ destination }).error({ err: top }, "registry check failed");
    expectNoSecret(lines);
    const line = JSON.parse(lines[0] as string);
    // Still useful: the error's type, the messages of the whole chain, where it was thrown.
    expect(line.err.type).toBe("Error");
    expect(line.err.message).toContain("checking https://[redacted]@registry.example/v2/app/tags/list failed");
    expect(line.err.message).toContain("token request with Authorization: Basic [redacted] failed");
    expect(line.err.message).toContain("registry said 401");
    expect(line.err.stack).toContain("logger.test.ts");
    expect(line.err.headers).toEqual({ authorization: "[redacted]" });
  });

  it("never writes credentials from a client-node ApiException's body and headers", () => {
    const { lines, destination } = capture();
    const body = { kind: "Status", message: "Unauthorized", details: { token: "hunter2hunter2" } };
    const headers = { "content-type": "application/json", "set-cookie": "session=hunter2hunter2", authorization: "Bearer hunter2hunter2" };
    const error = new ApiException(401, "Unauthorized", body, headers);
    const logger = createLogger({ destination });
    logger.error({ err: new Error("listing Deployments failed", { cause: error }) }, "informer failed");
    logger.warn({ err: error }, "lease renewal failed");
    logger.error(error);
    expect(lines).toHaveLength(3);
    expectNoSecret(lines);
    const second = JSON.parse(lines[1] as string);
    expect(second.err.code).toBe(401);
    expect(second.err.headers["content-type"]).toBe("application/json");
    expect(second.err.body.message).toBe("Unauthorized");
    expect(JSON.parse(lines[2] as string).msg).toContain("HTTP-Code: 401");
  });

  it("never writes an identity token or key held in the message itself", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });
    logger.warn({}, `rejected identity token ${secrets[4]}`);
    logger.info("key file had api_key=0123456789abcdef");
    expectNoSecret(lines);
  });
});
