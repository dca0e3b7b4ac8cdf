import type { NodeSDK } from "@opentelemetry/sdk-node";
import { otelEnvironmentDefaults, otelExportConfigured } from "./tracing.js";

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK for this process, configured by the standard OTEL_* variables (plus the defaults of
 * `otelEnvironmentDefaults`, written into `env`, so nothing is exported unless asked for). Resolves true when it
 * started. Does nothing when `OTEL_SDK_DISABLED=true`, when it already ran, or when no signal is exported: the SDK
 * (about 40 MiB with its exporters) is then not even loaded, and the API's no-op tracer serves the interceptor.
 * Run it from the preload, before the application's modules load.
 */
export async function startTelemetrySdk(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (sdk !== undefined || env.OTEL_SDK_DISABLED?.toLowerCase() === "true" || !otelExportConfigured(env)) return false;
  Object.assign(env, otelEnvironmentDefaults(env));
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, read by the env resource detector, wins over this.
    serviceName: env.OTEL_SERVICE_NAME ? undefined : "update-manager",
    // Instrumentation libraries (e.g. @opentelemetry/instrumentation-http) go here; RPC spans come from
    // createTracingInterceptor.
    instrumentations: [],
  });
  sdk.start();
  return true;
}

/** Whether the SDK runs in this process (started by the preload). */
export function telemetrySdkRunning(): boolean {
  return sdk !== undefined;
}

/** Flushes and stops the SDK (pending spans are exported). Safe to call when it never started. */
export async function shutdownTelemetrySdk(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}
