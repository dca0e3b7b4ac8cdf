import { invalidArgument, isDomainError } from "./domain-error.js";

/**
 * A container image reference, normalised the way Docker and containerd read it
 * (github.com/distribution/reference, `ParseNormalizedNamed`):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ registry "/" ] path
 *   registry   := host [ ":" port ]           host: DNS-ish name, IPv4, or "[" IPv6 "]"
 *   path       := component ( "/" component )*
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ":" hex            sha256 (64), sha384 (96), sha512 (128), lowercase
 *
 * The first path component names a registry only when it contains "." or ":" or is
 * "localhost"; otherwise the image is on Docker Hub ("docker.io"), and a single-component
 * Docker Hub path lives under "library/" ("nginx" is "docker.io/library/nginx").
 */
export interface ImageReference {
  /** Lowercased host with optional port: "docker.io", "registry:5000", "ghcr.io", "[::1]:5000". */
  readonly registry: string;
  /** Path without registry: "library/nginx", "team/web". */
  readonly repository: string;
  readonly tag?: string;
  /** "sha256:<64 hex>" (or sha384/sha512). */
  readonly digest?: string;
}

export const dockerHubRegistry = "docker.io";
const legacyDockerHubRegistry = "index.docker.io";
const officialRepositoryPrefix = "library/";
/** The tag Docker assumes when a reference names neither tag nor digest. */
const defaultTag = "latest";

/** Longest `registry/repository` (after normalisation), as in distribution's NameTotalLengthMax. */
export const maxImageNameLength = 255;
export const maxImageTagLength = 128;

/** Hex length per supported digest algorithm (opencontainers/go-digest's registered algorithms). */
const digestHexLength: ReadonlyMap<string, number> = new Map([
  ["sha256", 64],
  ["sha384", 96],
  ["sha512", 128],
]);

/**
 * No valid reference is longer than this (longest name, tag and sha512 digest), so longer
 * input is refused before any parsing and never echoed back in full.
 */
export const maxImageReferenceLength = maxImageNameLength + 1 + maxImageTagLength + 1 + "sha512:".length + 128;

/** How much of a bad input an error message quotes. */
const quotedInputLimit = 80;

/**
 * Parses and normalises an image reference. Hand-written single pass per part (no
 * backtracking regular expressions), so hostile input costs linear time.
 *
 * @param field names the request field in the error (ErrorInfo metadata `field`). Default: "image".
 * @throws DomainError invalid-argument / INVALID_ARGUMENT naming what is wrong.
 */
export function parseImageReference(input: string, field = "image"): ImageReference {
  if (typeof input !== "string") {
    throw invalidArgument(field, `${field} must be a string, got ${input === null ? "null" : typeof input}`);
  }
  if (input.length === 0) {
    throw invalidArgument(field, `${field} is required: give an image reference such as "registry.example.com/team/web:1.2.3"`);
  }
  if (input.trim().length === 0) {
    throw invalidArgument(field, `${field} is blank: give an image reference such as "registry.example.com/team/web:1.2.3"`);
  }
  const fail = (problem: string) =>
    invalidArgument(field, `${field} ${quoteInput(input)} is not a valid image reference: ${problem}`);

  if (input.length > maxImageReferenceLength) {
    throw fail(`it is ${input.length} characters long; a valid image reference has at most ${maxImageReferenceLength}`);
  }
  const badCharacter = findBadCharacter(input);
  if (badCharacter !== undefined) throw fail(badCharacter);

  // Split "@digest" first: neither name nor tag may contain "@".
  let rest = input;
  let digest: string | undefined;
  const at = input.indexOf("@");
  if (at !== -1) {
    if (input.indexOf("@", at + 1) !== -1) throw fail(`it contains more than one "@"`);
    digest = input.slice(at + 1);
    rest = input.slice(0, at);
    if (digest.length === 0) throw fail(`it has "@" but no digest after it`);
  }

  // A ":" after the last "/" starts the tag; one before it belongs to a registry port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length === 0) throw fail(`it has ":" but no tag after it`);
  }

  const name = rest;
  if (name.length === 0) throw fail("it has no repository name");
  if (name.startsWith("/")) throw fail(`it starts with "/"`);
  if (name.endsWith("/")) throw fail(`it ends with "/"`);
  if (name.includes("//")) throw fail(`it has an empty path component ("//")`);

  const components = name.split("/");
  const first = components[0]!;
  const hasRegistry =
    components.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = dockerHubRegistry;
  if (hasRegistry) {
    const problem = registryProblem(first);
    if (problem !== undefined) throw fail(problem);
    registry = first.toLowerCase();
    if (registry === legacyDockerHubRegistry) registry = dockerHubRegistry;
    components.shift();
  }

  const path = components.join("/");
  if (/[A-Z]/.test(path)) throw fail(`repository "${path}" must be lowercase`);
  for (const component of components) {
    const problem = pathComponentProblem(component);
    if (problem !== undefined) throw fail(problem);
  }

  if (tag !== undefined) {
    const problem = tagProblem(tag);
    if (problem !== undefined) throw fail(problem);
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) throw fail(problem);
  }

  const repository =
    registry === dockerHubRegistry && components.length === 1 ? officialRepositoryPrefix + path : path;
  const fullName = `${registry}/${repository}`;
  if (fullName.length > maxImageNameLength) {
    throw fail(
      `the repository name "${truncate(fullName)}" is ${fullName.length} characters long; the limit is ${maxImageNameLength}`,
    );
  }
  // Docker refuses these too: a bare 64-hex string is an image ID, never a repository.
  if (!hasRegistry && tag === undefined && digest === undefined && /^[a-f0-9]{64}$/.test(input)) {
    throw fail("a 64-character hexadecimal string is an image ID, not a repository name");
  }

  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** Like parseImageReference, but undefined instead of an error (for images found in the cluster). */
export function tryParseImageReference(input: string): ImageReference | undefined {
  try {
    return parseImageReference(input);
  } catch (error) {
    if (isDomainError(error)) return undefined;
    throw error;
  }
}

/**
 * Parses the image of an Update request. On top of parseImageReference it requires a tag
 * or a digest: a bare repository would mean "whatever :latest is now", which is no version
 * to roll out or roll back to.
 *
 * @param field names the request field in the error. Default: "image".
 */
export function parseUpdateImage(input: string, field = "image"): ImageReference {
  const ref = parseImageReference(input, field);
  if (ref.tag === undefined && ref.digest === undefined) {
    throw invalidArgument(
      field,
      `${field} ${quoteInput(input)} names no tag or digest: an update needs an exact version, ` +
        `e.g. "${input}:1.2.3" or "${input}@sha256:<64 hex characters>"`,
    );
  }
  return ref;
}

/** "docker.io/library/nginx": the fully normalised repository, without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  // Normalise again so hand-built references compare like parsed ones.
  let registry = ref.registry.toLowerCase();
  if (registry === legacyDockerHubRegistry) registry = dockerHubRegistry;
  const repository =
    registry === dockerHubRegistry && !ref.repository.includes("/")
      ? officialRepositoryPrefix + ref.repository
      : ref.repository;
  return `${registry}/${repository}`;
}

/** Fully normalised: "docker.io/library/nginx:1.27@sha256:..." (tag and digest only when present). */
export function formatImageReference(ref: ImageReference): string {
  const tag = ref.tag === undefined ? "" : `:${ref.tag}`;
  const digest = ref.digest === undefined ? "" : `@${ref.digest}`;
  return `${repositoryName(ref)}${tag}${digest}`;
}

/**
 * True when both normalise to the same repository. Exact, never a prefix match:
 * "registry:5000/team/web" is not "registry:5000/team/web-admin".
 */
export function sameRepository(a: ImageReference, b: ImageReference): boolean {
  return repositoryName(a) === repositoryName(b);
}

/**
 * True when both name the same image: same repository, tag and digest. As in Docker, a
 * reference with neither tag nor digest means ":latest" ("nginx" is "nginx:latest"); a
 * digest-only reference has no tag, so "nginx@sha256:x" is not "nginx:latest@sha256:x".
 */
export function sameImage(a: ImageReference, b: ImageReference): boolean {
  return sameRepository(a, b) && effectiveTag(a) === effectiveTag(b) && a.digest === b.digest;
}

function effectiveTag(ref: ImageReference): string | undefined {
  return ref.tag ?? (ref.digest === undefined ? defaultTag : undefined);
}

/** The first character no image reference may contain, described; undefined when all are fine. */
function findBadCharacter(input: string): string | undefined {
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code > 0x20 && code < 0x7f) continue;
    const codePoint = input.codePointAt(i)!;
    const unicode = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
    if (/\s/.test(String.fromCodePoint(codePoint))) {
      return `it contains whitespace (${unicode}) at index ${i}; leading and trailing whitespace is not trimmed`;
    }
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      return `it contains the control character ${unicode} at index ${i}`;
    }
    return `it contains the non-ASCII character ${JSON.stringify(String.fromCodePoint(codePoint))} (${unicode}) at index ${i}; image references are ASCII only`;
  }
  return undefined;
}

/** Checks `host[:port]`, host being a DNS-style name, an IPv4 address or a bracketed IPv6 address. */
function registryProblem(registry: string): string | undefined {
  const invalid = (why: string) => `registry "${registry}" is not a valid host[:port]: ${why}`;
  let port: string | undefined;
  if (registry.startsWith("[")) {
    const close = registry.indexOf("]");
    if (close === -1) return invalid(`the IPv6 address has no closing "]"`);
    const address = registry.slice(1, close);
    if (address.length === 0 || !/^[0-9a-fA-F:]+$/.test(address)) {
      return invalid(`"[${address}]" is not an IPv6 address (hex digits and ":" only)`);
    }
    const after = registry.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(":")) return invalid(`only ":port" may follow the IPv6 address`);
      port = after.slice(1);
    }
  } else {
    const colon = registry.indexOf(":");
    const host = colon === -1 ? registry : registry.slice(0, colon);
    if (colon !== -1) port = registry.slice(colon + 1);
    for (const label of host.split(".")) {
      if (label.length === 0) return invalid(`the host name has an empty label`);
      if (!/^[A-Za-z0-9-]+$/.test(label)) {
        const bad = label.replace(/[A-Za-z0-9-]/g, "")[0];
        return invalid(`"${bad}" is not allowed in a host name`);
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        return invalid(`host name label "${label}" must not start or end with "-"`);
      }
    }
  }
  if (port !== undefined && !/^[0-9]+$/.test(port)) {
    return invalid(port.length === 0 ? `":" is not followed by a port` : `port "${port}" is not a number`);
  }
  return undefined;
}

function isLowerAlphanumeric(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
}

/** One path component: lowercase alphanumeric runs joined by ".", "_", "__" or a run of "-". */
function pathComponentProblem(component: string): string | undefined {
  const rules = `(lowercase letters and digits, separated by ".", "_", "__" or "-")`;
  for (let i = 0; i < component.length; i++) {
    const char = component[i]!;
    if (!isLowerAlphanumeric(char.charCodeAt(0)) && char !== "." && char !== "_" && char !== "-") {
      return `path component "${component}" contains "${char}", which is not allowed ${rules}`;
    }
  }
  if (!isLowerAlphanumeric(component.charCodeAt(0)) || !isLowerAlphanumeric(component.charCodeAt(component.length - 1))) {
    return `path component "${component}" must start and end with a lowercase letter or digit`;
  }
  let i = 0;
  while (i < component.length) {
    if (isLowerAlphanumeric(component.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < component.length && !isLowerAlphanumeric(component.charCodeAt(i))) i++;
    const separator = component.slice(start, i);
    if (separator !== "." && separator !== "_" && separator !== "__" && !/^-+$/.test(separator)) {
      return `path component "${component}" has the separator "${separator}", which is not allowed ${rules}`;
    }
  }
  return undefined;
}

function isWordCharacter(char: string): boolean {
  return /^[A-Za-z0-9_]$/.test(char);
}

function tagProblem(tag: string): string | undefined {
  if (tag.length > maxImageTagLength) {
    return `tag "${truncate(tag)}" is ${tag.length} characters long; the limit is ${maxImageTagLength}`;
  }
  if (!isWordCharacter(tag[0]!)) return `tag "${tag}" must start with a letter, a digit or "_"`;
  for (const char of tag) {
    if (!isWordCharacter(char) && char !== "." && char !== "-") {
      return `tag "${tag}" contains "${char}"; tags may contain only letters, digits, "_", "." and "-"`;
    }
  }
  return undefined;
}

function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(":");
  if (colon === -1) return `digest "${truncate(digest)}" must have the form "sha256:<64 hex characters>"`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = digestHexLength.get(algorithm);
  if (length === undefined) {
    return `digest algorithm "${truncate(algorithm)}" is not supported; use sha256, sha384 or sha512`;
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) return `the ${algorithm} digest must be hexadecimal`;
  if (/[A-F]/.test(hex)) return `the ${algorithm} digest must be lowercase hexadecimal`;
  if (hex.length !== length) {
    return `a ${algorithm} digest has ${length} hex characters, this one has ${hex.length}`;
  }
  return undefined;
}

function truncate(text: string): string {
  return text.length <= quotedInputLimit ? text : `${text.slice(0, quotedInputLimit)}…`;
}

/** The input as a JSON string literal (control characters escaped), cut short when long. */
function quoteInput(input: string): string {
  return JSON.stringify(truncate(input));
}
