import { NodeSDK } from "@opentelemetry/sdk-node";
import { otelEnvironmentDefaults } from "./tracing.js";

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK for this process, configured by the standard OTEL_* variables (plus the defaults of
 * `otelEnvironmentDefaults`, written into `env`, so nothing is exported unless asked for). Does nothing when
 * `OTEL_SDK_DISABLED=true` or when it already ran. Run it from the preload, before the application's modules load.
 */
export function startTelemetrySdk(env: NodeJS.ProcessEnv = process.env): void {
  if (sdk !== undefined || env.OTEL_SDK_DISABLED?.toLowerCase() === "true") return;
  Object.assign(env, otelEnvironmentDefaults(env));
  sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, read by the env resource detector, wins over this.
    serviceName: env.OTEL_SERVICE_NAME ? undefined : "update-manager",
    // Instrumentation libraries (e.g. @opentelemetry/instrumentation-http) go here; RPC spans come from
    // createTracingInterceptor.
    instrumentations: [],
  });
  sdk.start();
}

/** Flushes and stops the SDK (pending spans are exported). Safe to call when it never started. */
export async function shutdownTelemetrySdk(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}
