import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/logger.js";
import { isSecretName, redactSecrets } from "../../src/telemetry/redact-secrets.js";

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

  it("leaves objects without secrets as they are, and errors untouched", () => {
    const clean = { a: 1, nested: { b: [1, 2] } };
    expect(redactSecrets(clean)).toBe(clean);
    const error = Object.assign(new Error("x"), { token: "kept-by-the-error-serializer" });
    expect(redactSecrets({ err: error }).err).toBe(error);
    expect(redactSecrets({ list: [{ token: "t" }] })).toEqual({ list: [{ token: "[redacted]" }] });
  });
});
