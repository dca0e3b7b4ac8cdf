import { type Notification, type NotificationKind, notificationNamespaces } from "./notification.js";

/**
 * Which notifications go to which channels. An omitted list matches everything; a notification matches a route when
 * its kind, classifier and one of its namespaces are listed. A route with namespaces never matches what has none
 * (node plans); a route with classifiers never matches what has no classifier.
 */
export interface NotificationRoute {
  /** Default: every kind. */
  readonly events?: readonly NotificationKind[];
  /** Default: every classifier. */
  readonly classifiers?: readonly string[];
  /** Default: every namespace. */
  readonly namespaces?: readonly string[];
  /** Channel names, at least one. */
  readonly channels: readonly string[];
}

export function routeMatches(route: NotificationRoute, notification: Notification): boolean {
  if (route.events !== undefined && !route.events.includes(notification.kind)) return false;
  if (route.classifiers !== undefined) {
    if (notification.classifier === undefined || !route.classifiers.includes(notification.classifier)) return false;
  }
  if (route.namespaces !== undefined) {
    const namespaces = notificationNamespaces(notification);
    if (!namespaces.some((namespace) => route.namespaces?.includes(namespace))) return false;
  }
  return true;
}

/** The channels a notification goes to: each once, in the order the routes first name them. */
export function channelsFor(routes: readonly NotificationRoute[], notification: Notification): readonly string[] {
  const channels = new Set<string>();
  for (const route of routes) {
    if (!routeMatches(route, notification)) continue;
    for (const channel of route.channels) channels.add(channel);
  }
  return [...channels];
}
