import { isatty } from "node:tty";
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";
import type { LogFormat, LogLevel } from "../config/config.js";
import { redactSecrets, redactText } from "./redact-secrets.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** The lowest level written. Default: "info". */
  level?: LogLevel;
  /** `json`, `pretty`, or `auto`: pretty when the destination is a terminal. Default: "auto". */
  format?: LogFormat;
  /**
   * Where lines go. Default: standard output, written synchronously so that the last lines before an exit are
   * not lost.
   */
  destination?: DestinationStream & { isTTY?: boolean };
}

/**
 * Creates the process logger: one JSON object per line (`level` as a name, ISO `time`, `msg`), or human-readable
 * lines when pretty. Credentials never reach the output: fields named like `authorization`, `*key*`, `*token*`,
 * `*secret*` or `*password*` are replaced by "[redacted]" wherever they are in the logged object, and errors (with
 * their causes) and messages are logged with the credentials written inside them blanked out.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const usesStdout = options.destination === undefined;
  const destination: DestinationStream & { isTTY?: boolean } = options.destination ?? pino.destination({ dest: 1, sync: true });
  // isatty, not process.stdout.isTTY: creating process.stdout on a pipe or socket (a container's log pipe) makes fd 1
  // non-blocking, and pino's synchronous writes then meet EAGAIN whenever the reader lags, which sonic-boom answers by
  // sleeping 100 ms with the whole event loop. On a blocking fd a write waits only as long as the reader needs.
  const isTTY = usesStdout ? isatty(1) : destination.isTTY === true;
  const format = options.format ?? "auto";
  const prettyOutput = format === "pretty" || (format === "auto" && isTTY);
  // pino-pretty as a synchronous stream in this thread, not a worker transport: nothing to start, nothing lost
  // on exit, and no worker to keep the process alive.
  const stream = prettyOutput
    ? pretty({ destination, sync: true, colorize: isTTY, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" })
    : destination;
  const logger = pino(
    {
      level: options.level ?? "info",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecrets(bindings),
        log: (object) => redactSecrets(object),
      },
      hooks: {
        // `logger.error(error)` makes the error's message the line's message, which no formatter sees.
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          if (first instanceof Error) {
            const message = typeof rest[0] === "string" ? rest.shift() : first.message;
            return method.apply(this, [{ err: first }, redactText(String(message)), ...rest] as Parameters<typeof method>);
          }
          return method.apply(this, args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
  // pino applies the bindings formatter to the root bindings only; children inherit this override.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as typeof logger.child;
  return logger;
}
