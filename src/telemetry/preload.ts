/**
 * Loaded with `node --import ./dist/src/telemetry/preload.js` (`npm run serve`) before the application: ESM
 * instrumentation only works when the loader hook is registered before the instrumented modules are imported, and
 * the SDK must be running before the first span. See `startTelemetrySdk` for the configuration. With nothing to
 * export (no OTEL_* exporter or endpoint) neither the hook nor the SDK is loaded.
 */
import { register } from "node:module";
import { otelExportConfigured } from "./tracing.js";

if (process.env.OTEL_SDK_DISABLED?.toLowerCase() !== "true" && otelExportConfigured(process.env)) {
  const { createAddHookMessageChannel } = await import("import-in-the-middle");
  const { startTelemetrySdk } = await import("./telemetry-sdk.js");
  // The message channel limits the hook to the modules instrumentations ask for: other imports pass untouched.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);
  await startTelemetrySdk();
  await waitForAllMessagesAcknowledged();
}
