import { isMessage } from "@bufbuild/protobuf";
import {
  type AccessRequest,
  type AccessScope,
  accessDeniedError,
  accessDenials,
  isAllowed,
  planNamespaces,
} from "../core/domain/access-scope.js";
import { DomainError, isDomainError } from "../core/domain/domain-error.js";
import { repositoryName, tryParseImageReference } from "../core/domain/image-reference.js";
import type { UpdateRecord } from "../core/domain/update.js";
import type { UpdatePlan as ProtoPlan } from "../../gen/updatemanager/v1/update_pb.js";
import {
  ApproveUpdateRequestSchema,
  FreezeRequestSchema,
  RejectUpdateRequestSchema,
  UnfreezeRequestSchema,
} from "../../gen/updatemanager/v1/approval_pb.js";
import {
  CancelUpdateRequestSchema,
  ClearQuarantineRequestSchema,
  GetUpdateRequestSchema,
  ListQuarantinesRequestSchema,
  ListQuarantinesResponseSchema,
  ListAvailableUpdatesRequestSchema,
  ListAvailableUpdatesResponseSchema,
  ListTargetsRequestSchema,
  ListTargetsResponseSchema,
  ListUpdatesRequestSchema,
  ListUpdatesResponseSchema,
  UpdateRequestSchema,
  WatchUpdateRequestSchema,
} from "../../gen/updatemanager/v1/update_service_pb.js";
import { type AccessPrincipal, grantsFor, scopeFor } from "./access-principal.js";
import { planMethods } from "./rpc-permissions.js";

/** What authorisation needs of a recorded update. */
export type UpdateFacts = Pick<UpdateRecord, "classifier" | "image" | "plan"> & Partial<Pick<UpdateRecord, "requester">>;

/**
 * Looks an update up for GetUpdate, WatchUpdate and CancelUpdate by a restricted caller;
 * undefined when there is none (the RPC then answers NOT_FOUND itself).
 */
export type FindUpdate = (id: string) => Promise<UpdateFacts | undefined>;

/** A FindUpdate on the core's getUpdate: NOT_FOUND and a malformed id become undefined. */
export function updateFinder(getUpdate: (id: string) => Promise<UpdateRecord>): FindUpdate {
  return async (id) => {
    try {
      return await getUpdate(id);
    } catch (error) {
      if (isDomainError(error, "not-found") || isDomainError(error, "invalid-argument")) return undefined;
      throw error;
    }
  };
}

/** What the audit log says a call is about. */
export interface CallFacts {
  readonly classifier?: string;
  readonly image?: string;
  readonly updateId?: string;
}

export function callFacts(message: unknown): CallFacts {
  if (isMessage(message, UpdateRequestSchema)) return { classifier: message.classifier, image: message.image };
  if (isMessage(message, ListTargetsRequestSchema) || isMessage(message, ListUpdatesRequestSchema)) {
    return { classifier: message.classifier };
  }
  if (isMessage(message, ClearQuarantineRequestSchema)) return { image: message.image };
  if (
    isMessage(message, GetUpdateRequestSchema) ||
    isMessage(message, WatchUpdateRequestSchema) ||
    isMessage(message, CancelUpdateRequestSchema) ||
    isMessage(message, ApproveUpdateRequestSchema) ||
    isMessage(message, RejectUpdateRequestSchema)
  ) {
    return { updateId: message.updateId };
  }
  return {};
}

/**
 * Decides an UpdateService call before it runs: the RPC must be granted, and what the request
 * names must be in scope. Update: classifier and repository here, the namespaces its plan touches
 * in the use case (`RequestContext.scope`). List RPCs: a classifier, namespace or repository asked
 * for must be in scope; the answers are then filtered (`filterResponse`). GetUpdate, WatchUpdate,
 * CancelUpdate: the update's classifier, repository and namespaces. ListQuarantines and
 * ClearQuarantine: namespaces and repositories (quarantines have no classifier).
 *
 * @returns the scope to enforce further (undefined: unrestricted).
 * @throws DomainError permission-denied naming what is denied.
 */
export async function authorizeCall(
  principal: AccessPrincipal,
  method: string,
  message: unknown,
  findUpdate: FindUpdate | undefined,
): Promise<AccessScope | undefined> {
  if (grantsFor(principal, method).length === 0) {
    const allowed = [...new Set(principal.grants.flatMap((grant) => [...grant.rpcs]))].sort();
    throw new DomainError(
      "permission-denied",
      "PERMISSION_DENIED",
      `${principal.name} may not call ${method}${allowed.length > 0 ? ` (it may call ${allowed.join(", ")})` : ""}`,
      { metadata: { principal: principal.name, denied: `rpc:${method}` } },
    );
  }
  const scope = scopeFor(principal, method);
  if (scope === undefined) return undefined;

  if (planMethods.has(method)) {
    // Node upgrade plans belong to no classifier, namespace or repository: a restricted grant covers none of them.
    throw new DomainError(
      "permission-denied",
      "PERMISSION_DENIED",
      `${principal.name} may not call ${method}: node upgrade plans are cluster-wide, so it needs a grant for every classifier, namespace and repository`,
      { metadata: { principal: principal.name, denied: `rpc:${method}` } },
    );
  }

  if (isMessage(message, UpdateRequestSchema)) {
    const repository = repositoryOf(message.image);
    check(scope, { ...given("classifier", message.classifier), ...(repository ? { repositories: [repository] } : {}) }, `update ${repository ?? "this image"}`);
  } else if (isMessage(message, ListTargetsRequestSchema)) {
    const repository = repositoryOf(message.repository);
    check(
      scope,
      {
        ...given("classifier", message.classifier),
        ...(message.namespace === "" ? {} : { namespaces: [message.namespace] }),
        ...(repository ? { repositories: [repository] } : {}),
      },
      "list these targets",
    );
  } else if (isMessage(message, ListUpdatesRequestSchema)) {
    check(scope, given("classifier", message.classifier), "list these updates");
  } else if (isMessage(message, ListQuarantinesRequestSchema)) {
    if (message.namespace !== "") check(scope, { namespaces: [message.namespace] }, "list these quarantines");
  } else if (isMessage(message, ListAvailableUpdatesRequestSchema)) {
    // like ListTargets; the answer is filtered by classifier, namespace and repository.
    check(
      scope,
      { ...given("classifier", message.classifier), ...(message.namespace === "" ? {} : { namespaces: [message.namespace] }) },
      "list these available updates",
    );
  } else if (isMessage(message, ClearQuarantineRequestSchema)) {
    const repository = repositoryOf(message.image);
    const namespace = message.workload?.namespace;
    check(
      scope,
      {
        // Without a workload it clears the image everywhere: only a grant for every namespace covers that.
        namespaces: [namespace === undefined || namespace === "" ? "*" : namespace],
        ...(repository ? { repositories: [repository] } : {}),
      },
      namespace ? `clear quarantines of ${repository ?? "this image"}` : `clear quarantines of ${repository ?? "this image"} in every namespace (name the workload)`,
    );
  } else if (isMessage(message, FreezeRequestSchema) || isMessage(message, UnfreezeRequestSchema)) {
    // The freeze holds every update: only a grant restricted in nothing may change it.
    throw new DomainError(
      "permission-denied",
      "PERMISSION_DENIED",
      `${principal.name} may not call ${method}: the freeze holds every update, so it needs a grant for every classifier, namespace and repository`,
      { metadata: { principal: principal.name, denied: `rpc:${method}` } },
    );
  } else if (
    isMessage(message, GetUpdateRequestSchema) ||
    isMessage(message, WatchUpdateRequestSchema) ||
    isMessage(message, CancelUpdateRequestSchema) ||
    isMessage(message, ApproveUpdateRequestSchema) ||
    isMessage(message, RejectUpdateRequestSchema)
  ) {
    if (findUpdate === undefined) {
      throw new DomainError(
        "permission-denied",
        "PERMISSION_DENIED",
        `${principal.name} may not call ${method}: its access is restricted and this server cannot check updates against it`,
        { metadata: { principal: principal.name, denied: `rpc:${method}` } },
      );
    }
    const update = await findUpdate(message.updateId);
    // Its creator may always read it (a refused request is recorded as a failed update it polls).
    const ownRead =
      update?.requester === principal.name &&
      (isMessage(message, GetUpdateRequestSchema) || isMessage(message, WatchUpdateRequestSchema));
    if (update !== undefined && !ownRead) check(scope, updateRequest(update), `${verb(method)} update ${message.updateId}`);
  }
  return scope;
}

/**
 * Removes from a list answer what the scope does not cover: targets (by classifier, namespace, and
 * any container's repository), updates (classifier, repository, every namespace of the plan) and
 * quarantines (namespace, repository). Pages may come back shorter than asked, even empty, with a
 * next_page_token: AIP-158 allows it, and it keeps paging on the core unchanged.
 */
export function filterResponse(scope: AccessScope, message: unknown): void {
  if (isMessage(message, ListTargetsResponseSchema)) {
    message.targets = message.targets.filter((target) => {
      const namespaces = [target.workload?.namespace ?? ""];
      return target.containers.some((container) => {
        const repository = repositoryOf(container.image);
        return repository !== undefined && isAllowed(scope, { classifier: target.classifier, namespaces, repositories: [repository] });
      });
    });
  } else if (isMessage(message, ListUpdatesResponseSchema)) {
    message.updates = message.updates.filter((update) => {
      const repository = repositoryOf(update.image);
      return (
        repository !== undefined &&
        isAllowed(scope, { classifier: update.classifier, repositories: [repository], namespaces: protoPlanNamespaces(update.plan) })
      );
    });
  } else if (isMessage(message, ListAvailableUpdatesResponseSchema)) {
    // only what the scope covers, by the workload's classifier and namespace and the image's repository.
    message.availableUpdates = message.availableUpdates.filter((entry) => {
      const repository = repositoryOf(entry.currentImage);
      return (
        repository !== undefined &&
        isAllowed(scope, { classifier: entry.classifier, namespaces: [entry.workload?.namespace ?? ""], repositories: [repository] })
      );
    });
  } else if (isMessage(message, ListQuarantinesResponseSchema)) {
    message.quarantines = message.quarantines.filter((quarantine) => {
      const repository = repositoryOf(quarantine.image);
      return repository !== undefined && isAllowed(scope, { namespaces: [quarantine.workload?.namespace ?? ""], repositories: [repository] });
    });
  }
}

/** The request a recorded update stands for. */
export function updateRequest(update: UpdateFacts): AccessRequest {
  const repository = repositoryOf(update.image);
  return {
    classifier: update.classifier,
    repositories: repository === undefined ? [update.image] : [repository],
    namespaces: planNamespaces(update.plan),
  };
}

function check(scope: AccessScope, request: AccessRequest, action: string): void {
  const denials = accessDenials(scope, request);
  if (denials !== undefined) throw accessDeniedError(scope.principal, action, denials);
}

/** An empty classifier is "not given": the RPC itself refuses or ignores it. */
function given(field: "classifier", value: string): { classifier?: string } {
  return value === "" ? {} : { [field]: value };
}

function repositoryOf(image: string): string | undefined {
  if (image === "") return undefined;
  const reference = tryParseImageReference(image);
  return reference === undefined ? undefined : repositoryName(reference);
}

function protoPlanNamespaces(plan: ProtoPlan | undefined): string[] {
  if (plan === undefined) return [];
  return [
    ...plan.workloads.map((workload) => workload.workload?.namespace ?? ""),
    ...plan.migrations.map((migration) => migration.template?.namespace ?? ""),
  ];
}

function verb(method: string): string {
  if (method === "ApproveUpdate") return "approve";
  if (method === "RejectUpdate") return "reject";
  return method === "CancelUpdate" ? "cancel" : method === "WatchUpdate" ? "watch" : "read";
}
