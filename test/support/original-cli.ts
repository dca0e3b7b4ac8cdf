/**
 * The original kubernetes-update-manager CLI's `update` command, request for request (see
 * test/rest/legacy-rest.test.ts for where each detail comes from): POST the form to `--url`, then GET
 * `{url}/{uuid}` once a second until `status.finished`. Its exit code rule, which pipelines rely on:
 *
 * - an answer to the POST other than 201: prints the error and exits 0 (the pipeline goes on);
 * - a poll answered anything but 200: the CLI dereferences a nil status and panics (Go exits 2);
 * - finished and `failed`: exit 1; finished otherwise: exit 0.
 */

export interface OriginalCliOptions {
  /** The original's `--url`: `http://host:port/updates`. */
  readonly url: string;
  readonly apiKey: string;
  readonly image: string;
  readonly classifier: string;
  /** Between two polls. Default: 1000 (the CLI's ticker). */
  readonly pollIntervalMs?: number;
  /** Give up (the pipeline's own job timeout). Default: 10 minutes. */
  readonly timeoutMs?: number;
}

/** The JSON the original served and its CLI parsed. */
export interface OriginalUpdateJson {
  uuid: string;
  counts: { jobs: { total: number; updated: number }; deployments: { total: number; updated: number } };
  status: { finish_time: string | null; finished: boolean; failed: boolean; successful: boolean };
  reason?: string;
}

export interface OriginalCliRun {
  /** 0, 1, or 2 for the panic on a poll that was not 200. */
  readonly exitCode: 0 | 1 | 2;
  /** Set when it panicked: the poll's HTTP status. */
  readonly crashedOn?: number;
  /** The update it followed (undefined when the POST was not 201). */
  readonly uuid?: string;
  /** What it printed. */
  readonly output: readonly string[];
  /** Every poll's HTTP status, in order. */
  readonly pollStatuses: readonly number[];
  /** Every poll's answer (200 ones), in order. */
  readonly polls: readonly OriginalUpdateJson[];
  /** The last answer it read. */
  readonly last?: OriginalUpdateJson;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The CLI's poll, once: `GET {url}/{uuid}` with its headers. Returns the status and, for a 200, the
 * update (any other status is where the CLI panics).
 */
export async function pollOnce(url: string, apiKey: string, uuid: string): Promise<{ status: number; update?: OriginalUpdateJson }> {
  const polled = await fetch(`${url.replace(/\/+$/, "")}/${uuid}`, {
    headers: { "User-Agent": "GRequests/0.10", Authorization: `APIKey ${apiKey}`, "Accept-Encoding": "gzip" },
  });
  const text = await polled.text();
  return polled.status === 200 ? { status: 200, update: JSON.parse(text) as OriginalUpdateJson } : { status: polled.status };
}

export async function runOriginalCli(options: OriginalCliOptions): Promise<OriginalCliRun> {
  const headers = { "User-Agent": "GRequests/0.10", Authorization: `APIKey ${options.apiKey}`, "Accept-Encoding": "gzip" };
  const output: string[] = [];
  const pollStatuses: number[] = [];
  const polls: OriginalUpdateJson[] = [];
  const created = await fetch(options.url, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
    // url.Values.Encode(): keys sorted.
    body: new URLSearchParams([
      ["image", options.image],
      ["update_classifier", options.classifier],
    ]).toString(),
  });
  const createdBody = await created.text();
  if (created.status !== 201) {
    output.push(created.status === 401 ? "unauthorized" : `Unexpected status code ${created.status}`);
    return { exitCode: 0, output, pollStatuses, polls };
  }
  let current = JSON.parse(createdBody) as OriginalUpdateJson;
  output.push(`update ${current.uuid} started`);
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  while (!current.status.finished) {
    if (Date.now() > deadline) throw new Error(`update ${current.uuid} did not finish within the pipeline's timeout`);
    await sleep(options.pollIntervalMs ?? 1000);
    const polled = await pollOnce(options.url, options.apiKey, current.uuid);
    pollStatuses.push(polled.status);
    if (polled.update === undefined) {
      output.push(`panic: runtime error: invalid memory address or nil pointer dereference (poll answered ${polled.status})`);
      return { exitCode: 2, crashedOn: polled.status, uuid: current.uuid, output, pollStatuses, polls, last: current };
    }
    current = polled.update;
    polls.push(current);
  }
  const failed = current.status.failed;
  output.push(failed ? "The update failed" : "The update was successful");
  return { exitCode: failed ? 1 : 0, uuid: current.uuid, output, pollStatuses, polls, last: current };
}
