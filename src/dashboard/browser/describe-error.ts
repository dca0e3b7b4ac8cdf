import { Code, ConnectError } from "@connectrpc/connect";

/** An RPC failure in words a person at the dashboard can act on. */
export interface ErrorDescription {
  /** The gRPC code name, e.g. `UNAUTHENTICATED`. */
  readonly code: string;
  /** True when the key is the problem: shown in the page-wide alert, not beside one list. */
  readonly auth: boolean;
  readonly message: string;
}

/** `PermissionDenied` → `PERMISSION_DENIED`, the spelling of the API docs and of every gRPC tool. */
export function codeName(code: Code): string {
  return (Code[code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * Describes why `action` (e.g. "list targets") failed. Authentication and permission problems say what to do
 * about the key; the server's own message is kept, since it names what was denied (never the key itself).
 */
export function describeError(error: unknown, action: string): ErrorDescription {
  const connectError = ConnectError.from(error);
  const code = codeName(connectError.code);
  const detail = connectError.rawMessage;
  switch (connectError.code) {
    case Code.Unauthenticated:
      return {
        code,
        auth: true,
        message: `${code}: the server did not accept the API key (${detail}). Enter a valid key above; a read-only key is enough.`,
      };
    case Code.PermissionDenied:
      return {
        code,
        auth: true,
        message: `${code}: this key may not ${action} (${detail}). Use a key whose scope includes the read RPCs.`,
      };
    case Code.ResourceExhausted:
      return { code, auth: false, message: `${code}: too many requests; the dashboard retries shortly (${detail}).` };
    case Code.Unavailable:
      return { code, auth: false, message: `${code}: the server is unreachable or starting; retrying (${detail}).` };
    default:
      return { code, auth: false, message: `Could not ${action}: ${code}: ${detail}` };
  }
}
