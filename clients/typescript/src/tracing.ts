/**
 * `@update-manager/client/tracing`: W3C trace context propagation for the client. A separate entry point, because
 * it needs the optional peer dependency `@opentelemetry/api`; the main entry point does not.
 */
export { createTraceContextInterceptor } from "./trace-context-interceptor.js";
