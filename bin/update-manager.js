#!/usr/bin/env node
// The update-manager CLI. The project runs TypeScript through tsx, so this launcher registers tsx's ESM loader
// and then loads the CLI's source. Usage: update-manager --help
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
