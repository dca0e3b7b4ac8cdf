/**
 * Loaded with `node --import ./src/telemetry/preload.ts` before the application: ESM instrumentation only works
 * when the loader hook is registered before the instrumented modules are imported, and the SDK must be running
 * before the first span. See `startTelemetrySdk` for the configuration.
 */
import { register } from "node:module";
import { createAddHookMessageChannel } from "import-in-the-middle";
import { startTelemetrySdk } from "./telemetry-sdk.js";

// The message channel limits the hook to the modules instrumentations ask for: other imports pass untouched.
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);
startTelemetrySdk();
await waitForAllMessagesAcknowledged();
