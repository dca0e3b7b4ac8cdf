#!/usr/bin/env node
// The update-manager CLI. Usage: update-manager --help
// Runs the compiled CLI from dist/ (`npm run build`), which needs only the production dependencies. In a checkout
// that was never built it falls back to the sources through tsx, a development dependency.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/src/cli/main.js", import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
