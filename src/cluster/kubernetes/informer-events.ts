/** One version of one object, as a write's answer or an informer's event carries it. */
export interface ObjectVersion {
  /** The resource with its group, e.g. "deployments.apps" (no subresource): bounded by the kinds in the code. */
  readonly resource: string;
  /** "" for cluster-scoped objects (Nodes). */
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
}

/**
 * What the REST client and the informers listing through it tell about object versions, for the informer lag and
 * relist metrics (telemetry/informer-metrics.ts). A `RestClient` carries it (`RestClientOptions.informerEvents`),
 * so every adapter that writes or caches through that client reports without further wiring.
 */
export interface InformerEvents {
  /** An informer of `resource` exists (its series then start at 0). */
  informerCreated(resource: string): void;
  /** An informer replaced its cache with a new list after its first one (its watch history was gone). */
  relisted(resource: string): void;
  /** The API server answered a create, update or patch with this version (the manager's own write). */
  written(version: ObjectVersion): void;
  /** An informer cached (or removed) this version, from a watch event or a list. */
  delivered(version: ObjectVersion): void;
}
