import { runCli } from "./run-cli.js";

// The CLI's entry point: bin/update-manager.js loads it from dist/ (or from the sources through tsx, unbuilt).

// `update-manager updates | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = exitCode;
// Exit explicitly once the output is flushed: an idle HTTP/2 session of the transport would keep the process alive.
process.stdout.write("", () => process.stderr.write("", () => process.exit(exitCode)));
