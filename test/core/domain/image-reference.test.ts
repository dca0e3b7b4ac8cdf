import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import {
  formatImageReference,
  type ImageReference,
  maxImageReferenceLength,
  parseImageReference,
  parseUpdateImage,
  repositoryName,
  sameImage,
  sameRepository,
  tryParseImageReference,
} from "../../../src/core/domain/image-reference.js";

const sha256 = "sha256:" + "0123456789abcdef".repeat(4);
const otherSha256 = "sha256:" + "fedcba9876543210".repeat(4);
const sha512 = "sha512:" + "0123456789abcdef".repeat(8);

/** The DomainError `fn` throws (fails the test when it throws nothing or something else). */
function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error("expected a DomainError, but nothing was thrown");
}

describe("parseImageReference: valid references", () => {
  const rows: [input: string, expected: ImageReference][] = [
    ["nginx", { registry: "docker.io", repository: "library/nginx" }],
    ["nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
    ["nginx:latest", { registry: "docker.io", repository: "library/nginx", tag: "latest" }],
    ["docker.io/nginx", { registry: "docker.io", repository: "library/nginx" }],
    ["docker.io/library/nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
    ["index.docker.io/library/nginx", { registry: "docker.io", repository: "library/nginx" }],
    ["index.docker.io/nginx", { registry: "docker.io", repository: "library/nginx" }],
    ["team/web", { registry: "docker.io", repository: "team/web" }],
    ["docker.io/team/web:2", { registry: "docker.io", repository: "team/web", tag: "2" }],
    ["ghcr.io/org/app:v1.2.3", { registry: "ghcr.io", repository: "org/app", tag: "v1.2.3" }],
    ["registry:5000/team/web", { registry: "registry:5000", repository: "team/web" }],
    ["registry:5000/team/web:1.0", { registry: "registry:5000", repository: "team/web", tag: "1.0" }],
    ["registry.example.com:443/web", { registry: "registry.example.com:443", repository: "web" }],
    ["localhost/web", { registry: "localhost", repository: "web" }],
    ["localhost:5000/web:dev", { registry: "localhost:5000", repository: "web", tag: "dev" }],
    ["127.0.0.1:5000/team/web", { registry: "127.0.0.1:5000", repository: "team/web" }],
    ["[::1]:5000/team/web:1", { registry: "[::1]:5000", repository: "team/web", tag: "1" }],
    ["[2001:db8::1]/web", { registry: "[2001:db8::1]", repository: "web" }],
    ["[2001:DB8::1]:5000/web", { registry: "[2001:db8::1]:5000", repository: "web" }],
    ["Registry.Example.COM/team/web", { registry: "registry.example.com", repository: "team/web" }],
    ["my-registry.local/a/b/c/d:x", { registry: "my-registry.local", repository: "a/b/c/d", tag: "x" }],
    [`nginx@${sha256}`, { registry: "docker.io", repository: "library/nginx", digest: sha256 }],
    [`nginx:1.27@${sha256}`, { registry: "docker.io", repository: "library/nginx", tag: "1.27", digest: sha256 }],
    [`registry:5000/web@${sha512}`, { registry: "registry:5000", repository: "web", digest: sha512 }],
    [`[::1]:5000/web:1@${sha256}`, { registry: "[::1]:5000", repository: "web", tag: "1", digest: sha256 }],
    ["my_app", { registry: "docker.io", repository: "library/my_app" }],
    ["my__app", { registry: "docker.io", repository: "library/my__app" }],
    ["my-app", { registry: "docker.io", repository: "library/my-app" }],
    ["my---app", { registry: "docker.io", repository: "library/my---app" }],
    ["my.app", { registry: "docker.io", repository: "library/my.app" }],
    ["a1.b2_c3__d4-e5", { registry: "docker.io", repository: "library/a1.b2_c3__d4-e5" }],
    ["nginx:_under", { registry: "docker.io", repository: "library/nginx", tag: "_under" }],
    ["nginx:Mixed.Case-Tag_1", { registry: "docker.io", repository: "library/nginx", tag: "Mixed.Case-Tag_1" }],
    [`nginx:${"t".repeat(128)}`, { registry: "docker.io", repository: "library/nginx", tag: "t".repeat(128) }],
    // As in Docker: with no "/", "host:port" is a repository and a tag.
    ["registry:5000", { registry: "docker.io", repository: "library/registry", tag: "5000" }],
    ["example.com", { registry: "docker.io", repository: "library/example.com" }],
    ["localhost", { registry: "docker.io", repository: "library/localhost" }],
  ];

  it.each(rows)("%s", (input, expected) => {
    expect(parseImageReference(input)).toEqual(expected);
    expect(tryParseImageReference(input)).toEqual(expected);
  });

  it("accepts a name of exactly 255 characters after normalisation", () => {
    const path = "a".repeat(255 - "registry.example.com/".length);
    expect(parseImageReference(`registry.example.com/${path}`).repository).toBe(path);
  });
});

describe("parseImageReference: invalid references", () => {
  const rows: [name: string, input: string, message: RegExp][] = [
    ["empty", "", /image is required/],
    ["blank", "   ", /image is blank/],
    ["leading whitespace", " nginx:1", /whitespace \(U\+0020\) at index 0/],
    ["trailing newline", "nginx:1\n", /whitespace \(U\+000A\) at index 7/],
    ["inner tab", "team/\tweb", /whitespace \(U\+0009\)/],
    ["NUL", "nginx\u0000:1", /control character U\+0000 at index 5/],
    ["DEL", "nginx:1\u007f", /control character U\+007F/],
    ["C1 control", "nginx\u0085", /control character U\+0085/],
    ["non-breaking space", "nginx\u00a0", /whitespace \(U\+00A0\)/],
    ["accented letter", "ñginx", /non-ASCII character "ñ" \(U\+00F1\) at index 0/],
    ["emoji tag", "nginx:🚀", /non-ASCII character "🚀" \(U\+1F680\)/],
    ["cyrillic lookalike", "ngіnx", /non-ASCII character "і"/],
    ["uppercase repository", "Nginx", /repository "Nginx" must be lowercase/],
    ["uppercase in a path", "registry:5000/team/Web:1", /repository "team\/Web" must be lowercase/],
    ["uppercase first component is not a registry", "Team/web", /repository "Team\/web" must be lowercase/],
    ["colon without tag", "nginx:", /has ":" but no tag after it/],
    ["colon without tag after registry", "registry:5000/web:", /has ":" but no tag after it/],
    ["at without digest", "nginx@", /has "@" but no digest after it/],
    ["double at", `nginx@${sha256}@${sha256}`, /more than one "@"/],
    ["double at, adjacent", "nginx@@sha256", /more than one "@"/],
    ["only a tag", ":1.0", /no repository name/],
    ["only a digest", `@${sha256}`, /no repository name/],
    ["empty component", "team//web", /empty path component \("\/\/"\)/],
    ["trailing slash", "team/web/", /ends with "\/"/],
    ["registry and trailing slash", "registry:5000/", /ends with "\/"/],
    ["leading slash", "/team/web", /starts with "\/"/],
    ["component starts with separator", "team/-web", /path component "-web" must start and end with a lowercase letter or digit/],
    ["component ends with separator", "web_", /path component "web_" must start and end/],
    ["two dots", "my..app", /separator "\.\.", which is not allowed/],
    ["three underscores", "my___app", /separator "___", which is not allowed/],
    ["mixed separators", "my.-app", /separator "\.-", which is not allowed/],
    ["bad character in path", "team/we!b", /path component "we!b" contains "!"/],
    ["colon inside a path", "a:b:c", /path component "a:b" contains ":"/],
    ["tag too long", `nginx:${"t".repeat(129)}`, /is 129 characters long; the limit is 128/],
    ["tag starts with dot", "nginx:.hidden", /tag ".hidden" must start with a letter, a digit or "_"/],
    ["tag starts with dash", "nginx:-rc", /tag "-rc" must start with/],
    ["tag with bad character", "nginx:1.0+build", /tag "1.0\+build" contains "\+"/],
    ["digest without colon", "nginx@sha256", /must have the form "sha256:<64 hex characters>"/],
    ["digest of unsupported algorithm", `nginx@md5:${"a".repeat(32)}`, /algorithm "md5" is not supported/],
    ["short sha256", `nginx@sha256:${"a".repeat(63)}`, /sha256 digest has 64 hex characters, this one has 63/],
    ["long sha256", `nginx@sha256:${"a".repeat(65)}`, /this one has 65/],
    ["empty sha256", "nginx@sha256:", /this one has 0/],
    ["uppercase hex", `nginx@sha256:${"A".repeat(64)}`, /lowercase hexadecimal/],
    ["non-hex digest", `nginx@sha256:${"g".repeat(64)}`, /must be hexadecimal/],
    ["short sha512", `nginx@sha512:${"a".repeat(64)}`, /sha512 digest has 128 hex characters, this one has 64/],
    ["underscore in registry host", "my_registry:5000/web", /registry "my_registry:5000" is not a valid host\[:port\]: "_"/],
    ["non-numeric port", "registry:http/web", /port "http" is not a number/],
    ["empty port", "registry:/web", /":" is not followed by a port/],
    ["empty host label", "registry..example.com/web", /empty label/],
    ["host label starting with dash", "-registry.example.com/web", /must not start or end with "-"/],
    ["unclosed IPv6", "[::1:5000/web", /no closing "\]"/],
    ["not IPv6", "[zz::1]:5000/web", /is not an IPv6 address/],
    ["empty IPv6", "[]:5000/web", /is not an IPv6 address/],
    ["junk after IPv6", "[::1]x/web", /only ":port" may follow/],
    ["name too long", `registry.example.com/${"a".repeat(235)}`, /is 256 characters long; the limit is 255/],
    ["Docker Hub name too long after normalisation", "a".repeat(240), /is 258 characters long; the limit is 255/],
    ["image ID", "0123456789abcdef".repeat(4), /64-character hexadecimal string is an image ID/],
    ["over-long input", "a".repeat(maxImageReferenceLength + 1), /is 521 characters long; a valid image reference has at most 520/],
  ];

  it.each(rows)("%s", (_name, input, message) => {
    const error = domainErrorOf(() => parseImageReference(input));
    expect(error.code).toBe("invalid-argument");
    expect(error.reason).toBe("INVALID_ARGUMENT");
    expect(error.metadata).toEqual({ field: "image" });
    expect(error.message).toMatch(message);
    expect(tryParseImageReference(input)).toBeUndefined();
  });

  it("names the given field in the message and the metadata", () => {
    const error = domainErrorOf(() => parseImageReference("Nginx", "spec.containers[0].image"));
    expect(error.metadata).toEqual({ field: "spec.containers[0].image" });
    expect(error.message).toBe(
      'spec.containers[0].image "Nginx" is not a valid image reference: repository "Nginx" must be lowercase',
    );
  });

  it("quotes control characters escaped, never raw", () => {
    const error = domainErrorOf(() => parseImageReference("nginx\u001b[31m"));
    expect(error.message).toContain('"nginx\\u001b[31m"');
    expect(error.message).not.toContain("\u001b");
  });

  it("quotes at most the start of a long input", () => {
    const input = `team/${"a".repeat(5000)}`;
    const error = domainErrorOf(() => parseImageReference(input));
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain("…");
  });

  it("refuses a value that is not a string with a DomainError", () => {
    const error = domainErrorOf(() => parseImageReference(42 as unknown as string));
    expect(error.message).toBe("image must be a string, got number");
  });
});

describe("parseUpdateImage", () => {
  it.each(["nginx:1.27", `nginx@${sha256}`, `registry:5000/team/web:1@${sha256}`])("accepts %s", (input) => {
    expect(parseUpdateImage(input)).toEqual(parseImageReference(input));
  });

  it("requires a tag or a digest", () => {
    const error = domainErrorOf(() => parseUpdateImage("registry:5000/team/web"));
    expect(error.code).toBe("invalid-argument");
    expect(error.metadata).toEqual({ field: "image" });
    expect(error.message).toBe(
      'image "registry:5000/team/web" names no tag or digest: an update needs an exact version, ' +
        'e.g. "registry:5000/team/web:1.2.3" or "registry:5000/team/web@sha256:<64 hex characters>"',
    );
  });

  it.each([
    ["empty", "", /image is required/],
    ["whitespace only", " \t ", /image is blank/],
    ["surrounding whitespace", " nginx:1 ", /whitespace/],
    ["control character", "nginx:1\r", /whitespace|control character/],
    ["escape", "nginx:1\u001b", /control character U\+001B/],
    ["over-long", `nginx:${"1".repeat(1_000_000)}`, /is 1000006 characters long/],
  ])("rejects %s input clearly", (_name, input, message) => {
    const error = domainErrorOf(() => parseUpdateImage(input));
    expect(error.reason).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(message);
  });

  it("passes the field through", () => {
    expect(domainErrorOf(() => parseUpdateImage("nginx", "request.image")).metadata).toEqual({ field: "request.image" });
  });
});

describe("repositoryName and formatImageReference", () => {
  it.each([
    ["nginx", "docker.io/library/nginx", "docker.io/library/nginx"],
    ["nginx:1.27", "docker.io/library/nginx", "docker.io/library/nginx:1.27"],
    [`nginx:1.27@${sha256}`, "docker.io/library/nginx", `docker.io/library/nginx:1.27@${sha256}`],
    [`team/web@${sha256}`, "docker.io/team/web", `docker.io/team/web@${sha256}`],
    ["index.docker.io/library/nginx:1", "docker.io/library/nginx", "docker.io/library/nginx:1"],
    ["[::1]:5000/web:1", "[::1]:5000/web", "[::1]:5000/web:1"],
  ])("%s", (input, repository, formatted) => {
    const ref = parseImageReference(input);
    expect(repositoryName(ref)).toBe(repository);
    expect(formatImageReference(ref)).toBe(formatted);
  });

  it("normalises hand-built references too", () => {
    const ref: ImageReference = { registry: "Index.Docker.IO", repository: "nginx", tag: "1" };
    expect(formatImageReference(ref)).toBe("docker.io/library/nginx:1");
  });
});

describe("sameRepository and sameImage", () => {
  const same = (a: string, b: string) => sameRepository(parseImageReference(a), parseImageReference(b));
  const sameImg = (a: string, b: string) => sameImage(parseImageReference(a), parseImageReference(b));

  it.each([
    ["nginx", "docker.io/library/nginx:1.27"],
    ["nginx:1", `index.docker.io/library/nginx@${sha256}`],
    ["docker.io/nginx", "library/nginx"],
    ["REGISTRY:5000/team/web", "registry:5000/team/web:2"],
    // Docker Hub's official namespace: both are docker.io/library/library.
    ["library", "library/library"],
  ])("%s and %s are the same repository", (a, b) => {
    expect(same(a, b)).toBe(true);
  });

  it.each([
    ["registry:5000/team/web", "registry:5000/team/web-admin"],
    ["registry:5000/team/web", "registry:5000/team/web/admin"],
    ["registry:5000/team/web", "registry:5001/team/web"],
    ["registry:5000/team/web", "registry/team/web"],
    ["nginx", "nginx/nginx"],
    ["library/nginx", "localhost/library/nginx"],
    ["team/web", "ghcr.io/team/web"],
  ])("%s and %s are different repositories", (a, b) => {
    expect(same(a, b)).toBe(false);
  });

  it.each([
    ["nginx", "nginx"],
    ["nginx", "docker.io/library/nginx:latest"],
    ["nginx:1.27", "index.docker.io/library/nginx:1.27"],
    [`nginx@${sha256}`, `docker.io/library/nginx@${sha256}`],
    [`nginx:1@${sha256}`, `nginx:1@${sha256}`],
  ])("%s and %s are the same image", (a, b) => {
    expect(sameImg(a, b)).toBe(true);
  });

  it.each([
    ["nginx:1.27", "nginx:1.28"],
    ["nginx:1.27", "nginx"],
    [`nginx@${sha256}`, `nginx:latest@${sha256}`],
    [`nginx@${sha256}`, "nginx"],
    [`nginx@${sha256}`, `nginx@${otherSha256}`],
    [`nginx:1@${sha256}`, "nginx:1"],
    ["registry:5000/team/web:1", "registry:5000/team/web-admin:1"],
    ["nginx:v1", "nginx:V1"],
  ])("%s and %s are different images", (a, b) => {
    expect(sameImg(a, b)).toBe(false);
  });
});

// Generators for valid references, built from the grammar, with the reference each must parse to.
const lowerAlnum = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), minLength: 1, maxLength: 6 });
const separator = fc.constantFrom(".", "_", "__", "-", "--", "---");
const pathComponent = fc
  .tuple(lowerAlnum, fc.array(fc.tuple(separator, lowerAlnum), { maxLength: 2 }))
  .map(([head, tail]) => head + tail.map(([sep, part]) => sep + part).join(""));
const path = fc.array(pathComponent, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/"));
const hostLabel = fc
  .tuple(
    fc.constantFrom(..."aZ09"),
    fc.string({ unit: fc.constantFrom(..."abcXYZ019-"), maxLength: 5 }),
    fc.constantFrom(..."bY18"),
  )
  .map(([first, middle, last]) => first + middle + last);
const port = fc.integer({ min: 1, max: 65535 }).map((n) => `:${n}`);
const registry = fc.oneof(
  fc.tuple(fc.array(hostLabel, { minLength: 2, maxLength: 3 }), fc.option(port, { nil: "" })).map(
    ([labels, p]) => labels.join(".") + p,
  ),
  fc.tuple(hostLabel, port).map(([label, p]) => label + p),
  fc.option(port, { nil: "" }).map((p) => `localhost${p}`),
  fc.option(port, { nil: "" }).map((p) => `[::1]${p}`),
  fc.constantFrom("docker.io", "index.docker.io", "Docker.IO"),
);
const tag = fc
  .tuple(
    fc.constantFrom(..."aZ9_"),
    fc.string({ unit: fc.constantFrom(..."abzABZ059_.-"), maxLength: 20 }),
  )
  .map(([first, rest]) => first + rest);
const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });
const digest = fc.oneof(
  hex(64).map((h) => `sha256:${h}`),
  hex(96).map((h) => `sha384:${h}`),
  hex(128).map((h) => `sha512:${h}`),
);

/** Without a registry, a first component with "." would be read as a registry host (as in Docker). */
function withoutHostLikeStart(path: string): string {
  return path.replace(/^[^/]*/, (first) => first.replaceAll(".", "-"));
}

interface Generated {
  readonly text: string;
  readonly expected: ImageReference;
}

const validReference: fc.Arbitrary<Generated> = fc
  .record({
    registry: fc.option(registry, { nil: undefined }),
    path,
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  .map(({ registry, path: generatedPath, tag, digest }) => {
    const path = registry === undefined && generatedPath.includes("/") ? withoutHostLikeStart(generatedPath) : generatedPath;
    const text =
      (registry === undefined ? "" : `${registry}/`) +
      path +
      (tag === undefined ? "" : `:${tag}`) +
      (digest === undefined ? "" : `@${digest}`);
    let normalisedRegistry = (registry ?? "docker.io").toLowerCase();
    if (normalisedRegistry === "index.docker.io") normalisedRegistry = "docker.io";
    const repository = normalisedRegistry === "docker.io" && !path.includes("/") ? `library/${path}` : path;
    const expected: ImageReference = {
      registry: normalisedRegistry,
      repository,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
    };
    return { text, expected };
  });

describe("properties", () => {
  it("parses every generated valid reference to its normalised parts", () => {
    fc.assert(
      fc.property(validReference, ({ text, expected }) => {
        expect(parseImageReference(text)).toEqual(expected);
      }),
    );
  });

  it("format(parse(x)) is a fixpoint: parsing it again gives the same reference", () => {
    fc.assert(
      fc.property(validReference, ({ text }) => {
        const ref = parseImageReference(text);
        const formatted = formatImageReference(ref);
        expect(parseImageReference(formatted)).toEqual(ref);
        expect(formatImageReference(parseImageReference(formatted))).toBe(formatted);
        expect(sameImage(parseImageReference(formatted), ref)).toBe(true);
      }),
    );
  });

  it("sameRepository is reflexive and symmetric", () => {
    fc.assert(
      fc.property(validReference, validReference, (a, b) => {
        const refA = parseImageReference(a.text);
        const refB = parseImageReference(b.text);
        expect(sameRepository(refA, refA)).toBe(true);
        expect(sameRepository(refA, refB)).toBe(sameRepository(refB, refA));
        expect(sameRepository(refA, refB)).toBe(repositoryName(refA) === repositoryName(refB));
      }),
    );
  });

  it("sameRepository ignores tag and digest", () => {
    fc.assert(
      fc.property(validReference, fc.option(tag, { nil: undefined }), fc.option(digest, { nil: undefined }), (a, t, d) => {
        const ref = parseImageReference(a.text);
        const other: ImageReference = { registry: ref.registry, repository: ref.repository, tag: t, digest: d };
        expect(sameRepository(ref, other)).toBe(true);
      }),
    );
  });

  it("sameRepository is never true for a repository and a longer one it prefixes", () => {
    const suffix = fc.oneof(
      pathComponent.map((c) => `-${c}`),
      pathComponent.map((c) => `_${c}`),
      pathComponent.map((c) => `.${c}`),
      lowerAlnum,
      // "library" + "/library" really is the same repository as "library" (docker.io/library/library).
      pathComponent.filter((c) => c !== "library").map((c) => `/${c}`),
    );
    fc.assert(
      fc.property(fc.option(registry, { nil: undefined }), path, suffix, (reg, repo, extra) => {
        const base = reg === undefined ? withoutHostLikeStart(repo) : `${reg}/${repo}`;
        const a = parseImageReference(base);
        const b = parseImageReference(base + extra);
        expect(sameRepository(a, b)).toBe(false);
        expect(sameRepository(b, a)).toBe(false);
      }),
    );
  });

  it("any string either parses or throws an invalid-argument DomainError", () => {
    const interesting = fc.string({
      unit: fc.constantFrom(..."aZ09.-_/:@[]:::///...---___ \t\n\u0000é🚀sha256ABCDEF".split("")),
      maxLength: 80,
    });
    const check = (input: string) => {
      try {
        const ref = parseImageReference(input);
        // Whatever parses must survive a round trip.
        expect(parseImageReference(formatImageReference(ref))).toEqual(ref);
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe("invalid-argument");
      }
    };
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), check));
    fc.assert(fc.property(interesting, check), { numRuns: 2000 });
    fc.assert(fc.property(validReference, fc.nat(), fc.string({ maxLength: 3 }), (ref, at, insert) => {
      const i = at % (ref.text.length + 1);
      check(ref.text.slice(0, i) + insert + ref.text.slice(i + 1));
    }));
  });

  it("answers hostile 100 kB inputs with a DomainError", () => {
    const size = 100_000;
    const hostile = [
      "a".repeat(size),
      "a-".repeat(size / 2) + "A",
      "a_".repeat(size / 2) + "_",
      "a.".repeat(size / 2) + "!",
      "a/".repeat(size / 2),
      ":".repeat(size),
      "@".repeat(size),
      `[${":".repeat(size)}`,
      `registry.example.com/${"a".repeat(size)}:${"b".repeat(size)}`,
      `nginx@sha256:${"a".repeat(size)}`,
      "a".repeat(size) + "\u0000",
    ];
    for (const input of hostile) {
      const error = domainErrorOf(() => parseImageReference(input));
      expect(error.code).toBe("invalid-argument");
      expect(tryParseImageReference(input)).toBeUndefined();
    }
  });

  it("answers hostile inputs within the length limit with a DomainError", () => {
    // At the length limit the parser itself runs, rather than the early length check.
    const size = maxImageReferenceLength;
    const hostile = [
      `${"a-".repeat(size / 2 - 1)}A`,
      `${"a_".repeat(size / 2 - 1)}__`,
      `a${"-".repeat(size - 2)}!`,
      `[${":".repeat(size - 2)}]`,
      `${"a.".repeat(size / 2 - 2)}a/b`,
      `nginx@sha256:${"a".repeat(size - 13)}`,
    ];
    for (const input of hostile) {
      expect(input.length).toBeLessThanOrEqual(size);
      expect(domainErrorOf(() => parseImageReference(input)).code).toBe("invalid-argument");
    }
  });
});
