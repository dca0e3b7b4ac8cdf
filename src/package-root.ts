/**
 * The package's root directory (with a trailing slash), the same whether this module runs compiled from
 * `dist/src/` (`npm run serve`, the image) or as source from `src/` (tests, tsx): files that ship beside the code
 * (package.json, dist/dashboard/) are found from here, never from the working directory.
 */
export const packageRoot = new URL(import.meta.url.includes("/dist/src/") ? "../../" : "../", import.meta.url);
