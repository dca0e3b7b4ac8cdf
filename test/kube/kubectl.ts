import { spawn } from "node:child_process";
import { repoRoot } from "./kustomize-files.js";

/**
 * The kubectl the kube tier uses: `$UPDATE_MANAGER_KUBECTL`, else `kubectl` on PATH (Debian's `kubernetes-client`,
 * 1.20, whose embedded kustomize is v2.0.3; newer kubectl renders kube/ identically).
 */
export const kubectlBinary = process.env.UPDATE_MANAGER_KUBECTL ?? "kubectl";

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Kubeconfig file; default: none (only for commands that do not reach a server, like `kustomize`). */
  kubeconfig?: string;
  /** Written to stdin. Default: nothing. */
  input?: string;
  /** Kills kubectl after this long. Default: 60 000 ms. */
  timeoutMs?: number;
}

/** Runs kubectl from the repository root; resolves with its exit code and output, whatever the code. */
export function runKubectl(args: string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const fullArgs = options.kubeconfig ? [`--kubeconfig=${options.kubeconfig}`, ...args] : args;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(kubectlBinary, fullArgs, {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${kubectlBinary}: ${error.message} (install Debian's kubernetes-client)`));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Like runKubectl, but a non-zero exit is an error carrying the command and its stderr. */
export async function kubectlOk(args: string[], options: KubectlOptions = {}): Promise<string> {
  const result = await runKubectl(args, options);
  if (result.code !== 0) {
    throw new Error(`${kubectlBinary} ${args.join(" ")} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}
