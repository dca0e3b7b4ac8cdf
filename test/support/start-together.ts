/** Anything a test starts and must stop. */
export interface Stoppable {
  stop(): Promise<unknown>;
}

/**
 * Awaits two starts that run at once (a control plane and a registry, say). When either fails, stops the one that
 * did start before rethrowing the first failure: a setup that fails half-way leaves nothing running, whereas a bare
 * `Promise.all` loses the one that started (afterAll never sees it).
 */
export async function startTogether<A extends Stoppable, B extends Stoppable>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === "fulfilled" && b.status === "fulfilled") return [a.value, b.value];
  await Promise.all([a, b].map((result) => (result.status === "fulfilled" ? result.value.stop().catch(() => undefined) : undefined)));
  throw a.status === "rejected" ? a.reason : (b as PromiseRejectedResult).reason;
}
