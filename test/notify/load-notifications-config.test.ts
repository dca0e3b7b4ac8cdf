import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadNotificationsConfig } from "../../src/notify/load-notifications-config.js";

const files: Record<string, string> = {
  "/secrets/hook": "hmac-key\n",
  "/secrets/slack-url": "https://hooks.slack.example/services/T/B/x\n",
  "/secrets/smtp-password": "mail-password",
  "/secrets/telegram-token": "123:abc",
  "/secrets/empty": "  \n",
};

function load(document: string) {
  const readText = (path: string): string => {
    if (path === "/etc/notifications.yaml") return document;
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    return text;
  };
  return loadNotificationsConfig({ UPDATE_MANAGER_NOTIFICATIONS_FILE: "/etc/notifications.yaml" }, readText);
}

function problems(document: string): readonly string[] {
  try {
    load(document);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const example = `
rateLimitPerMinute: 30
dedupe: { maxPerChannel: 5000 }
delivery: { attempts: 3, backoff: 2s }
channels:
  - name: ops-hook
    type: webhook
    url: https://hooks.example.com/update-manager
    secretFile: /secrets/hook
    timeout: 5s
  - name: team-slack
    type: slack
    urlFile: /secrets/slack-url
    rateLimitPerMinute: 5
  - name: oncall-mail
    type: smtp
    host: smtp.example.com
    username: update-manager
    passwordFile: /secrets/smtp-password
    from: update-manager@example.com
    to: [oncall@example.com]
  - name: telegram
    type: telegram
    tokenFile: /secrets/telegram-token
    chatId: -1001234
routes:
  - events: [update-failed, update-rolled-back]
    classifiers: [prod]
    channels: [oncall-mail, telegram]
  - namespaces: [shop]
    channels: [team-slack, ops-hook]
`;

describe("the notifications file", () => {
  it("is optional", () => {
    expect(loadNotificationsConfig({})).toBeUndefined();
  });

  it("reads channels, routes and limits, with the defaults filled in", () => {
    const config = load(example);
    expect(config).toMatchObject({
      rateLimitPerMinute: 30,
      maxFindingsPerChannel: 5000,
      attempts: 3,
      backoffMs: 2000,
      routes: [
        { events: ["update-failed", "update-rolled-back"], classifiers: ["prod"], channels: ["oncall-mail", "telegram"] },
        { namespaces: ["shop"], channels: ["team-slack", "ops-hook"] },
      ],
    });
    expect(config?.channels).toEqual([
      { type: "webhook", name: "ops-hook", url: "https://hooks.example.com/update-manager", secretFile: "/secrets/hook", timeoutMs: 5000 },
      { type: "slack", name: "team-slack", urlFile: "/secrets/slack-url", timeoutMs: 10_000, rateLimitPerMinute: 5 },
      {
        type: "smtp",
        name: "oncall-mail",
        host: "smtp.example.com",
        port: 587,
        security: "starttls",
        username: "update-manager",
        passwordFile: "/secrets/smtp-password",
        from: "update-manager@example.com",
        to: ["oncall@example.com"],
        timeoutMs: 10_000,
      },
      { type: "telegram", name: "telegram", tokenFile: "/secrets/telegram-token", chatId: "-1001234", baseUrl: "https://api.telegram.org", timeoutMs: 10_000 },
    ]);
  });

  it("lists every problem, naming the file and the field, never a credential", () => {
    const found = problems(`
channels:
  - name: Hook
    type: webhook
    url: ftp://example.com
    secretFile: /secrets/missing
  - name: mail
    type: smtp
    host: smtp.example.com
    security: ssl
    username: me
  - name: chat
    type: slack
    urlFile: /secrets/empty
  - name: tg
    type: pigeon
routes:
  - events: [update-exploded]
    channels: [nowhere]
`);
    const text = found.join("\n");
    expect(text).toContain('UPDATE_MANAGER_NOTIFICATIONS_FILE (/etc/notifications.yaml): channel "Hook": the name must be lower-case');
    expect(text).toContain('channel "Hook": url must be an http or https URL');
    expect(text).toContain('channel "Hook": secretFile: cannot read /secrets/missing: ENOENT');
    expect(text).toContain('channel "mail": security must be starttls, tls or none');
    expect(text).toContain('channel "mail": username and passwordFile go together');
    expect(text).toContain('channel "mail": to is required');
    expect(text).toContain('channel "mail": from is required');
    expect(text).toContain('channel "chat": urlFile: /secrets/empty is empty');
    expect(text).toContain('channel "tg": type must be webhook, slack, smtp or telegram');
    expect(text).toContain('routes[0].events: unknown "update-exploded"');
    expect(text).toContain('routes[0].channels: no channel is named "nowhere"');
    expect(text).not.toContain("hmac-key");
  });

  it("refuses a file that is not YAML, or without channels and routes", () => {
    expect(problems("channels: [")[0]).toMatch(/is not valid YAML or JSON/);
    expect(problems("rateLimitPerMinute: 0\nextra: 1")).toEqual([
      expect.stringContaining('unknown field "extra"'),
      expect.stringContaining("rateLimitPerMinute must be a positive integer"),
      expect.stringContaining("channels must be a non-empty list"),
      expect.stringContaining("routes must be a non-empty list"),
    ]);
  });

  it("refuses more remembered findings than the ConfigMap holds", () => {
    const channels = Array.from({ length: 9 }, (_, index) => `  - { name: hook-${index}, type: webhook, url: "https://h.example/${index}" }`).join("\n");
    expect(problems(`channels:\n${channels}\nroutes:\n  - channels: [hook-0]\n`)).toEqual([expect.stringMatching(/lower dedupe.maxPerChannel to 9259/)]);
  });
});
