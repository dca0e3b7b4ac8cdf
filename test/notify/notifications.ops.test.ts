/**
 * Notifications from the real server process (embedded demo cluster) to real endpoints on loopback: an SMTP server
 * (the `smtp-server` library, STARTTLS with a test CA and AUTH required), and HTTP servers standing in for a generic
 * webhook, a Slack incoming webhook and the Telegram Bot API. An update driven through the REST API is announced on
 * each channel its route selects; a channel that cannot be reached does not hold up the update and shows as failed
 * in the metrics; after a restart the same update is not announced again (the sent findings are in a state file).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySignature } from "../../src/notify/webhook-signature.js";
import { createTestPki, type TestPki } from "../server/test-certificates.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

interface Request {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

interface Mail {
  readonly secure: boolean;
  readonly user: unknown;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
}

const apiKey = "ops-notifications-key-0123456789";
const webhookSecret = "webhook-hmac-secret";
const smtpPassword = "smtp-password-123";
const telegramToken = "4242:telegram-test-token";

let dir: string;
let pki: TestPki;
let smtp: SMTPServer;
let smtpPort: number;
const mails: Mail[] = [];
const httpServers: Server[] = [];
const webhook: Request[] = [];
const slack: Request[] = [];
const telegram: Request[] = [];
let urls: { webhook: string; slack: string; telegram: string; down: string };
let server: ServerProcess | undefined;

async function httpEndpoint(received: Request[], answer: string): Promise<string> {
  const endpoint = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body });
      response.writeHead(200, { "content-type": "application/json" }).end(answer);
    });
  });
  httpServers.push(endpoint);
  await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function subjectOf(raw: string): string {
  const headers = raw.split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, " ") ?? "";
  return /^Subject: (.*)$/im.exec(headers)?.[1] ?? "";
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "notifications-ops-"));
  pki = createTestPki();
  pki.ca("smtp-ca");
  const leaf = pki.leaf("smtp", "smtp-ca", "server");
  smtp = new SMTPServer({
    secure: false, // plain, then STARTTLS: AUTH is refused before it (no allowInsecureAuth)
    key: leaf.key,
    cert: leaf.cert,
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "notifier" && auth.password === smtpPassword) callback(null, { user: "notifier" });
      else callback(new Error("invalid username or password"));
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => {
        raw += chunk.toString("utf8");
      });
      stream.on("end", () => {
        mails.push({
          secure: session.secure,
          user: session.user,
          from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: subjectOf(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  urls = {
    webhook: await httpEndpoint(webhook, "{}"),
    slack: await httpEndpoint(slack, "ok"),
    telegram: await httpEndpoint(telegram, '{"ok":true,"result":{"message_id":1}}'),
    down: `http://127.0.0.1:${await closedPort()}/hook`,
  };
  const secret = (name: string, value: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`);
    return path;
  };
  writeFileSync(
    join(dir, "notifications.yaml"),
    [
      "delivery: { attempts: 2, backoff: 100ms }",
      `dedupe: { stateFile: ${join(dir, "state", "notifications.json")} }`,
      "channels:",
      `  - { name: hook, type: webhook, url: "${urls.webhook}/update-manager", secretFile: ${secret("webhook-secret", webhookSecret)} }`,
      `  - { name: team-slack, type: slack, urlFile: ${secret("slack-url", `${urls.slack}/services/T000/B000/XXXX`)} }`,
      `  - { name: telegram, type: telegram, tokenFile: ${secret("telegram-token", telegramToken)}, chatId: "-100777", baseUrl: "${urls.telegram}" }`,
      "  - name: oncall-mail",
      "    type: smtp",
      "    host: 127.0.0.1",
      `    port: ${smtpPort}`,
      "    security: starttls",
      "    username: notifier",
      `    passwordFile: ${secret("smtp-password", smtpPassword)}`,
      `    caFile: ${join(pki.dir, "smtp-ca.crt")}`,
      "    from: update-manager@example.com",
      "    to: [oncall@example.com, shop-team@example.com]",
      `  - { name: down, type: webhook, url: "${urls.down}", timeout: 2s }`,
      "routes:",
      // Update events only: the embedded demo also runs a node plan, whose start is a notification of its own.
      "  - { events: [update-started, update-succeeded, update-failed, update-rolled-back], channels: [hook, down] }",
      "  - { namespaces: [shop], channels: [team-slack] }",
      "  - { classifiers: [shop], channels: [telegram] }",
      "  - { events: [update-succeeded, update-failed, update-rolled-back], channels: [oncall-mail] }",
      "  - { events: [node-plan-failed], namespaces: [shop], channels: [oncall-mail] }",
      "",
    ].join("\n"),
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => smtp?.close(() => resolve(undefined)));
  for (const endpoint of httpServers) await new Promise((resolve) => endpoint.close(resolve));
  pki?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const headers = { Authorization: `APIKey ${apiKey}` };

async function start(): Promise<ServerProcess> {
  return startServer({
    env: { UPDATE_MANAGER_API_KEY: apiKey, UPDATE_MANAGER_INSECURE_DEMO: "false", UPDATE_MANAGER_NOTIFICATIONS_FILE: join(dir, "notifications.yaml") },
  });
}

/** Runs the demo's update of shop/web to 1.5.0 through the REST API and waits (bounded) until it finished. */
async function runUpdate(api: ServerProcess): Promise<{ uuid: string; successful: boolean }> {
  const created = await fetch(`${api.apiUrl}/updates`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
    body: "image=registry.example.com%2Fshop%2Fweb%3A1.5.0&update_classifier=shop",
  });
  expect(created.status).toBe(201);
  const { uuid } = (await created.json()) as { uuid: string };
  for (let attempt = 0; attempt < 240; attempt++) {
    const polled = (await (await fetch(`${api.apiUrl}/updates/${uuid}`, { headers })).json()) as { status: { finished: boolean; successful: boolean } };
    if (polled.status.finished) return { uuid, successful: polled.status.successful };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`update ${uuid} did not finish within 120 s`);
}

/** update_manager_notifications_total by `channel/result`. */
async function notificationCounts(api: ServerProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${api.adminUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^update_manager_notifications_total\{([^}]*)\} (\d+)/.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries([...(match[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    counts[`${labels.channel}/${labels.result}`] = Number(match[2]);
  }
  return counts;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, seconds = 30): Promise<T> {
  for (let attempt = 0; attempt < seconds * 5; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const events = (requests: readonly Request[]) => requests.map((request) => (JSON.parse(request.body) as { event?: string }).event);
const texts = (requests: readonly Request[]) => requests.map((request) => (JSON.parse(request.body) as { text: string }).text);

describe("notifications from the real server", () => {
  it("announces an update on every routed channel, signed, over STARTTLS with AUTH, while an unreachable channel fails visibly", async () => {
    server = await start();
    const update = await runUpdate(server);
    expect(update.successful).toBe(true);

    await until("the webhook's two notifications", () => (webhook.length >= 2 ? true : undefined));
    expect(events(webhook)).toEqual(["update-started", "update-succeeded"]);
    for (const request of webhook) {
      expect(request.path).toBe("/update-manager");
      expect(verifySignature(webhookSecret, request.body, request.headers["x-update-manager-signature"] as string)).toBe(true);
    }
    expect(JSON.parse(webhook[1]?.body ?? "")).toMatchObject({
      type: "notification",
      event: "update-succeeded",
      state: "succeeded",
      classifier: "shop",
      image: "registry.example.com/shop/web:1.5.0",
      updateId: update.uuid,
      workloads: expect.arrayContaining([{ kind: "Deployment", namespace: "shop", name: "web" }]),
    });

    await until("Slack's and Telegram's notifications", () => (slack.length >= 2 && telegram.length >= 2 ? true : undefined));
    expect(slack.map((request) => request.path)).toEqual(["/services/T000/B000/XXXX", "/services/T000/B000/XXXX"]);
    expect(texts(slack)[0]).toMatch(/^update started: .*Deployment shop\/web.* to registry\.example\.com\/shop\/web:1\.5\.0/);
    expect(texts(slack)[1]).toMatch(/^update succeeded: /);
    expect(telegram.map((request) => request.path)).toEqual([`/bot${telegramToken}/sendMessage`, `/bot${telegramToken}/sendMessage`]);
    expect(JSON.parse(telegram[1]?.body ?? "")).toMatchObject({ chat_id: "-100777", text: expect.stringMatching(/^update succeeded: /) });

    // E-mail is routed the end of updates only.
    const mail = await until("the e-mail", () => mails[0]);
    expect(mails).toHaveLength(1);
    expect(mail).toMatchObject({ secure: true, user: "notifier", from: "update-manager@example.com", to: ["oncall@example.com", "shop-team@example.com"] });
    expect(mail.subject).toMatch(/^\[update-manager\] update succeeded: /);

    // The unreachable channel gave up after its attempts; the update was not held up by it.
    const counts = await until("the unreachable channel's failures", async () => {
      const current = await notificationCounts(server!);
      return (current["down/failed"] ?? 0) >= 2 ? current : undefined;
    });
    expect(counts).toMatchObject({ "down/retried": 2, "down/sent": 0, "hook/sent": 2, "oncall-mail/sent": 1, "telegram/sent": 2, "team-slack/sent": 2 });
  }, 240_000);

  it("does not announce the same finding again after a restart", async () => {
    const stopped = await server!.stop();
    expect(stopped.code).toBe(0);
    const before = { webhook: webhook.length, slack: slack.length, telegram: telegram.length, mails: mails.length };
    server = await start();
    // The embedded cluster starts again from the demo's images: the same update reaches the same state.
    const update = await runUpdate(server);
    expect(update.successful).toBe(true);
    const counts = await until("the duplicates to be counted", async () => {
      const current = await notificationCounts(server!);
      return current["hook/duplicate"] === 2 && current["oncall-mail/duplicate"] === 1 && current["telegram/duplicate"] === 2 && current["team-slack/duplicate"] === 2
        ? current
        : undefined;
    });
    expect(counts).toMatchObject({ "hook/sent": 0, "team-slack/sent": 0, "telegram/sent": 0, "oncall-mail/sent": 0 });
    expect({ webhook: webhook.length, slack: slack.length, telegram: telegram.length, mails: mails.length }).toEqual(before);
  }, 240_000);

  it("refuses a malformed notifications file at start-up with exit code 2, naming the file and the problem", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "channels:\n  - { name: mail, type: smtp, host: 127.0.0.1, from: a@example.com, to: [b@example.com], passwordFile: /nonexistent/password, username: u }\nroutes:\n  - { events: [update-exploded], channels: [mail] }\n");
    const error = await startServer({ env: { UPDATE_MANAGER_API_KEY: apiKey, UPDATE_MANAGER_NOTIFICATIONS_FILE: bad } }).then(
      () => new Error("the server started"),
      (caught: Error) => caught,
    );
    expect(error.message).toMatch(/server exited with 2 before listening/);
    expect(error.message).toContain(`UPDATE_MANAGER_NOTIFICATIONS_FILE (${bad}): channel "mail": passwordFile: cannot read /nonexistent/password: ENOENT`);
    expect(error.message).toContain('routes[0].events: unknown "update-exploded"');
  });
});
