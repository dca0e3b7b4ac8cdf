import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NotificationMessage } from "../../src/core/ports/notifier.js";
import { createSecretFile } from "../../src/notify/secret-file.js";
import { createSmtpNotifier } from "../../src/notify/smtp-notifier.js";
import { createTestPki, type TestPki } from "../server/test-certificates.js";

let pki: TestPki;
let leaf: { cert: Buffer; key: Buffer };
let ca: string;
const dir = mkdtempSync(join(tmpdir(), "smtp-notifier-"));
const servers: SMTPServer[] = [];

beforeAll(() => {
  pki = createTestPki();
  ca = pki.ca("ca").cert.toString("utf8");
  leaf = pki.leaf("smtp", "ca", "server");
});
afterAll(() => {
  pki.remove();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(() => resolve(undefined)));
});

/** An SMTP server on loopback accepting `notifier` with the password `password()`; what it received. */
async function smtpServer(password: () => string, options: Partial<SMTPServerOptions> = {}) {
  const received: { secure: boolean; user: unknown; to: string[] }[] = [];
  const server = new SMTPServer({
    key: leaf.key,
    cert: leaf.cert,
    logger: false,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      if (auth.username === "notifier" && auth.password === password()) callback(null, { user: "notifier" });
      else callback(new Error("invalid login"));
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on("end", () => {
        received.push({ secure: session.secure, user: session.user, to: session.envelope.rcptTo.map((r) => r.address) });
        callback();
      });
    },
    ...options,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.server.address() as AddressInfo).port, received };
}

const message: NotificationMessage = {
  type: "notification",
  notification: {
    kind: "update-rolled-back",
    time: new Date("2025-01-01T00:00:00Z"),
    classifier: "shop",
    workloads: [{ kind: "Deployment", namespace: "shop", name: "web" }],
    image: "r/web:2",
    state: "rolled-back",
    reason: "crash loop",
  },
};

describe("the SMTP channel", () => {
  it("sends over STARTTLS with AUTH, and logs in with a rotated password at the next message", async () => {
    let current = "first-password";
    const server = await smtpServer(() => current);
    const passwordFile = join(dir, "password");
    writeFileSync(passwordFile, "first-password\n");
    const notifier = createSmtpNotifier({
      channel: "mail",
      host: "127.0.0.1",
      port: server.port,
      security: "starttls",
      username: "notifier",
      password: createSecretFile(passwordFile),
      from: "update-manager@example.com",
      to: ["oncall@example.com"],
      ca,
    });
    await notifier.send(message);
    current = "second-password";
    writeFileSync(passwordFile, "second-password\n");
    await notifier.send(message);
    expect(server.received).toEqual([
      { secure: true, user: "notifier", to: ["oncall@example.com"] },
      { secure: true, user: "notifier", to: ["oncall@example.com"] },
    ]);
  });

  it("never logs in over a plain connection: a server without STARTTLS is refused", async () => {
    const server = await smtpServer(() => "password", { disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    const passwordFile = join(dir, "plain-password");
    writeFileSync(passwordFile, "password");
    const notifier = createSmtpNotifier({
      channel: "mail",
      host: "127.0.0.1",
      port: server.port,
      security: "starttls",
      username: "notifier",
      password: createSecretFile(passwordFile),
      from: "update-manager@example.com",
      to: ["oncall@example.com"],
      ca,
      timeoutMs: 2000,
    });
    await expect(notifier.send(message)).rejects.toThrow(/STARTTLS/i);
    expect(server.received).toEqual([]);
  });

  it("refuses a server whose certificate no trusted CA issued", async () => {
    const server = await smtpServer(() => "password");
    const notifier = createSmtpNotifier({
      channel: "mail",
      host: "127.0.0.1",
      port: server.port,
      security: "starttls",
      from: "update-manager@example.com",
      to: ["oncall@example.com"],
      timeoutMs: 2000,
    });
    await expect(notifier.send(message)).rejects.toThrow(/certificate/i);
    expect(server.received).toEqual([]);
  });
});
