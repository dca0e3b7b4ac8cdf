/**
 * Names shaped like the ones Kubernetes generates, so demo output and test failures read like a
 * real cluster's: `web-6d8f7b9c4d` (pod-template-hash), `web-6d8f7b9c4d-x2k4p` (pod).
 */

/** The alphabet of Kubernetes' generated names (rand.SafeEncodeString: no vowels, no look-alikes). */
const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/** A stable 10-character hash of a pod template (here: its containers), like pod-template-hash. */
export function templateHash(containers: readonly { readonly name: string; readonly image: string; readonly init: boolean }[]): string {
  const text = JSON.stringify(containers.map((c) => [c.name, c.image, c.init]));
  // FNV-1a, twice with different offsets, for 64 bits of spread: collisions would merge revisions.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = Math.imul(b ^ code, 0x01000193 + 2) >>> 0;
  }
  return encode(a, 5) + encode(b, 5);
}

/** A 5-character pod name suffix from a counter; distinct for the first 27^5 pods. */
export function podSuffix(counter: number): string {
  // Spread consecutive counters so neighbouring pods do not look alike.
  return encode(Math.imul(counter + 1, 2654435761) >>> 0, 5);
}

function encode(value: number, length: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < length; i++) {
    out += safeAlphabet[rest % safeAlphabet.length];
    rest = Math.floor(rest / safeAlphabet.length);
  }
  return out;
}
