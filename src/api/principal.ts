import { createContextKey } from "@connectrpc/connect";

/** Who is calling, as established by the auth interceptor. */
export interface Principal {
  /** Recorded as an update's requester: the key's name, or `anonymous` in insecure demo mode. */
  readonly name: string;
  /** False for callers without a credential (insecure demo mode only). */
  readonly authenticated: boolean;
}

export const anonymous: Principal = { name: "anonymous", authenticated: false };

/** Where handlers find the caller (set by the auth interceptor). */
export const principalKey = createContextKey<Principal>(anonymous, { description: "update-manager principal" });
