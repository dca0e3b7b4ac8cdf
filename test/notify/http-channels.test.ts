import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Notification } from "../../src/core/domain/notification.js";
import type { NotificationMessage } from "../../src/core/ports/notifier.js";
import { createSecretFile } from "../../src/notify/secret-file.js";
import { createSlackNotifier } from "../../src/notify/slack-notifier.js";
import { createTelegramNotifier } from "../../src/notify/telegram-notifier.js";
import { createWebhookNotifier } from "../../src/notify/webhook-notifier.js";
import { verifySignature } from "../../src/notify/webhook-signature.js";

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A loopback HTTP server answering `answer` and keeping what it received. */
async function endpoint(answer: (request: Received) => { status: number; body?: string; delayMs?: number } = () => ({ status: 200 })) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const entry = { path: request.url ?? "", headers: request.headers, body };
      received.push(entry);
      const { status, body: text, delayMs } = answer(entry);
      setTimeout(() => response.writeHead(status, { "content-type": "application/json" }).end(text ?? "{}"), delayMs ?? 0);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function secretFile(content: string) {
  const dir = mkdtempSync(join(tmpdir(), "notify-secret-"));
  dirs.push(dir);
  const path = join(dir, "secret");
  writeFileSync(path, `${content}\n`);
  return { path, dir };
}

const notification: Notification = {
  kind: "update-failed",
  time: new Date("2025-01-01T00:00:00Z"),
  classifier: "shop",
  workloads: [{ kind: "Deployment", namespace: "shop", name: "web" }],
  image: "r/web:2",
  updateId: "u1",
  state: "failed",
  reason: "Deployment shop/web: crash loop",
};
const message: NotificationMessage = { type: "notification", notification };

describe("the webhook channel", () => {
  it("POSTs the facts as JSON, signed with the secret, and uses a rotated secret at once", async () => {
    const hook = await endpoint();
    const secret = secretFile("first-secret");
    const notifier = createWebhookNotifier({ channel: "hook", url: `${hook.url}/hooks/um`, secret: createSecretFile(secret.path) });
    await notifier.send(message);
    const [first] = hook.received;
    expect(first?.path).toBe("/hooks/um");
    expect(first?.headers["content-type"]).toBe("application/json");
    expect(first?.headers["x-update-manager-event"]).toBe("update-failed");
    expect(verifySignature("first-secret", first?.body ?? "", first?.headers["x-update-manager-signature"] as string)).toBe(true);
    expect(JSON.parse(first?.body ?? "")).toMatchObject({
      type: "notification",
      event: "update-failed",
      state: "failed",
      workloads: [{ kind: "Deployment", namespace: "shop", name: "web" }],
      image: "r/web:2",
      updateId: "u1",
      reason: "Deployment shop/web: crash loop",
    });

    // Kubernetes updates a mounted Secret by replacing the file.
    writeFileSync(`${secret.path}.new`, "second-secret");
    renameSync(`${secret.path}.new`, secret.path);
    await notifier.send(message);
    expect(verifySignature("second-secret", hook.received[1]?.body ?? "", hook.received[1]?.headers["x-update-manager-signature"] as string)).toBe(true);
  });

  it("rejects a non-2xx answer and a slow one, naming the host but not the path", async () => {
    const hook = await endpoint((request) => (request.path === "/slow" ? { status: 200, delayMs: 500 } : { status: 503, body: "busy" }));
    await expect(createWebhookNotifier({ channel: "hook", url: `${hook.url}/secret-path` }).send(message)).rejects.toThrow(/answered 503: busy/);
    const error = await createWebhookNotifier({ channel: "hook", url: `${hook.url}/slow`, timeoutMs: 50 })
      .send(message)
      .catch((caught: Error) => caught);
    expect(String(error)).toMatch(/no answer within 50 ms/);
    await expect(createWebhookNotifier({ channel: "hook", url: `${hook.url}/secret-path` }).send(message)).rejects.not.toThrow(/secret-path/);
  });

  it("is unsigned without a secret", async () => {
    const hook = await endpoint();
    await createWebhookNotifier({ channel: "hook", url: hook.url }).send(message);
    expect(hook.received[0]?.headers["x-update-manager-signature"]).toBeUndefined();
  });
});

describe("the Slack channel", () => {
  it("POSTs {text} to the URL read from its file, and hides the URL's path in errors", async () => {
    const slack = await endpoint((request) => (request.path === "/services/T0/B0/good" ? { status: 200, body: "ok" } : { status: 404, body: "no_service" }));
    const url = secretFile(`${slack.url}/services/T0/B0/good`);
    await createSlackNotifier({ channel: "slack", url: createSecretFile(url.path) }).send(message);
    const text = (JSON.parse(slack.received[0]?.body ?? "") as { text: string }).text;
    expect(text).toContain("update failed: Deployment shop/web to r/web:2 (update u1): Deployment shop/web: crash loop");
    const bad = secretFile(`${slack.url}/services/T0/B0/revoked`);
    const error = await createSlackNotifier({ channel: "slack", url: createSecretFile(bad.path) })
      .send(message)
      .catch((caught: Error) => caught);
    expect(String(error)).toMatch(/404/);
    expect(String(error)).not.toContain("revoked");
  });
});

describe("the Telegram channel", () => {
  it("calls sendMessage on the configured base URL with the chat id, and fails when Telegram says not ok", async () => {
    const telegram = await endpoint((request) =>
      request.path.startsWith("/bot123:abc/") ? { status: 200, body: '{"ok":true,"result":{}}' } : { status: 401, body: '{"ok":false,"description":"Unauthorized"}' },
    );
    const token = secretFile("123:abc");
    await createTelegramNotifier({ channel: "tg", token: createSecretFile(token.path), chatId: "-1001", baseUrl: `${telegram.url}/` }).send(message);
    expect(telegram.received[0]?.path).toBe("/bot123:abc/sendMessage");
    expect(JSON.parse(telegram.received[0]?.body ?? "")).toMatchObject({ chat_id: "-1001", text: expect.stringContaining("update failed") });

    const wrong = secretFile("999:zzz");
    const error = await createTelegramNotifier({ channel: "tg", token: createSecretFile(wrong.path), chatId: "-1001", baseUrl: telegram.url })
      .send(message)
      .catch((caught: Error) => caught);
    expect(String(error)).toMatch(/401/);
    expect(String(error)).not.toContain("999:zzz");
  });
});

describe("secret files", () => {
  it("refuse a missing or empty file without quoting anything", () => {
    const empty = secretFile("");
    expect(() => createSecretFile(empty.path).read()).toThrow(/is empty/);
    expect(() => createSecretFile(join(empty.dir, "missing")).read()).toThrow(/ENOENT/);
  });
});
