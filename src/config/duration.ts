// The parser lives in the core, which node upgrade plans (`drain.timeout`, `postCompleteDelay`) need it in too.
export { parseDuration } from "../core/domain/go-duration.js";
