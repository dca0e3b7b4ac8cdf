import { describeNotification, type Notification } from "../core/domain/notification.js";
import { workloadKey } from "../core/domain/workload.js";
import type { NotificationMessage } from "../core/ports/notifier.js";

/** A message for people: a subject line (e-mail) and a text (every channel). */
export interface FormattedMessage {
  readonly subject: string;
  readonly text: string;
}

export function formatMessage(message: NotificationMessage): FormattedMessage {
  if (message.type === "notification") {
    const line = describeNotification(message.notification);
    return { subject: `[update-manager] ${line.length > 150 ? `${line.slice(0, 147)}...` : line}`, text: details(message.notification, line) };
  }
  const kinds = Object.entries(message.kinds)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
  const samples = message.samples.map((sample) => `- ${describeNotification(sample)}`).join("\n");
  const more = message.count - message.samples.length;
  return {
    subject: `[update-manager] ${message.count} more notifications (rate limit)`,
    text:
      `${message.count} notifications between ${message.from.toISOString()} and ${message.to.toISOString()} were over this ` +
      `channel's rate limit and are summarised here: ${kinds}.\n${samples}${more > 0 ? `\n... and ${more} more` : ""}`,
  };
}

function details(notification: Notification, line: string): string {
  const facts = [
    `event: ${notification.kind}`,
    `state: ${notification.state}`,
    ...(notification.classifier === undefined ? [] : [`classifier: ${notification.classifier}`]),
    ...(notification.workloads.length === 0 ? [] : [`workloads: ${notification.workloads.map(workloadKey).join(", ")}`]),
    ...(notification.image === "" ? [] : [`image: ${notification.image}`]),
    ...(notification.hash === undefined ? [] : [`hash: ${notification.hash.slice(0, 12)}`]),
    ...(notification.updateId === undefined ? [] : [`update: ${notification.updateId}`]),
    ...(notification.requester === undefined ? [] : [`requester: ${notification.requester}`]),
    `time: ${notification.time.toISOString()}`,
  ];
  return `${line}\n\n${facts.join("\n")}`;
}

/** The webhook's JSON body: the facts as fields, and the text people read. */
export function messagePayload(message: NotificationMessage): Record<string, unknown> {
  const { text } = formatMessage(message);
  if (message.type === "summary") {
    return {
      type: "summary",
      count: message.count,
      kinds: message.kinds,
      from: message.from.toISOString(),
      to: message.to.toISOString(),
      samples: message.samples.map(notificationFields),
      text,
    };
  }
  return { type: "notification", ...notificationFields(message.notification), text };
}

function notificationFields(notification: Notification): Record<string, unknown> {
  return {
    event: notification.kind,
    time: notification.time.toISOString(),
    state: notification.state,
    reason: notification.reason,
    ...(notification.classifier === undefined ? {} : { classifier: notification.classifier }),
    workloads: notification.workloads.map((workload) => ({ kind: workload.kind, namespace: workload.namespace, name: workload.name })),
    image: notification.image,
    ...(notification.currentImage === undefined ? {} : { currentImage: notification.currentImage }),
    ...(notification.container === undefined ? {} : { container: notification.container }),
    ...(notification.updateId === undefined ? {} : { updateId: notification.updateId }),
    ...(notification.nodePlan === undefined ? {} : { nodePlan: notification.nodePlan }),
    ...(notification.hash === undefined ? {} : { hash: notification.hash }),
    ...(notification.requester === undefined ? {} : { requester: notification.requester }),
  };
}
