import type { DescMessage, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { type ContextValues, createContextValues, type Interceptor, type UnaryRequest } from "@connectrpc/connect";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";

/**
 * Runs `body` as if it were the UpdateService RPC `method` with `message`: through the same
 * access-control interceptor the API port uses, so a REST call is authenticated, authorised
 * (scopes), rate-limited (the same buckets) and audited exactly like that RPC. `body` runs only when
 * the call is allowed, and sees the context the interceptor set (principal, scope). What the
 * interceptor refuses is thrown as its ConnectError; what `body` throws is thrown as is.
 */
export async function runAuthorized<I extends DescMessage, O extends DescMessage, T>(
  interceptor: Interceptor,
  call: {
    readonly method: DescMethodUnary<I, O>;
    readonly message: MessageInitShape<I>;
    /** The HTTP request's headers (Authorization). */
    readonly header: Headers;
    readonly url: string;
    readonly signal: AbortSignal;
  },
  body: (context: ContextValues) => Promise<T>,
): Promise<T> {
  let result: { value: T } | undefined;
  const request: UnaryRequest<I, O> = {
    stream: false,
    service: UpdateService,
    method: call.method,
    requestMethod: "POST",
    url: call.url,
    signal: call.signal,
    header: call.header,
    contextValues: createContextValues(),
    message: create(call.method.input, call.message),
  };
  const next = interceptor(async (allowed) => {
    result = { value: await body(allowed.contextValues) };
    return {
      stream: false,
      service: UpdateService,
      method: call.method,
      header: new Headers(),
      trailer: new Headers(),
      message: create(call.method.output),
    };
  });
  await next(request);
  if (result === undefined) throw new Error("the access control allowed the call without running it");
  return result.value;
}
