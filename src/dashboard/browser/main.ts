import { startDashboard } from "./dashboard-app.js";
import { pageWindow } from "./dom-api.js";

// The bundle's entry point (src/dashboard/dashboard-assets.ts bundles it); a module script runs after parsing.
startDashboard(pageWindow());
