/**
 * The container image's entry point (the Dockerfile's ENTRYPOINT runs it with node; the image has no shell):
 *   IMAGE                           the server, as `npm start` runs it (telemetry preload first)
 *   IMAGE update-manager ARGS...    the pipeline CLI (`update-manager ARGS...`)
 * Everything is imported dynamically so that the telemetry hook is registered before the server's modules load,
 * and the CLI never starts the telemetry SDK.
 */
if (process.argv[2] === "update-manager") {
  // The CLI reads its arguments from process.argv.slice(2).
  process.argv.splice(2, 1);
  await import("./cli/main.js");
} else {
  await import("./telemetry/preload.js");
  await import("./main.js");
}
