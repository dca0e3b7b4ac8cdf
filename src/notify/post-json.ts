/** A POST with a JSON body that did not get a 2xx answer in time. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";

  constructor(
    message: string,
    /** The HTTP status; undefined when there was no answer. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface PostJsonOptions {
  /** The JSON text to send (signed as it is). */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: 10 000 ms. */
  readonly timeoutMs?: number;
  /** How the URL is named in errors (a Slack or Telegram URL holds a secret). Default: the URL's origin. */
  readonly describe?: string;
}

/**
 * POSTs JSON and resolves with the answer's text when it is 2xx; rejects with a DeliveryError otherwise. Errors name
 * the URL's origin only: webhook paths and Telegram URLs carry secrets.
 */
export async function postJson(url: string, options: PostJsonOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const where = options.describe ?? new URL(url).origin;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "update-manager", ...options.headers },
      body: options.body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    throw new DeliveryError(`${where}: ${timedOut ? `no answer within ${timeoutMs} ms` : `unreachable (${cause ?? (error as Error).message})`}`);
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) throw new DeliveryError(`${where} answered ${response.status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`, response.status);
  return text;
}
