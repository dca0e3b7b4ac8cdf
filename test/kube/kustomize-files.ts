import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The repository's `kube/` directory. */
export const kubeDir = join(repoRoot, "kube");

/** The fields of a Kubernetes object these tests look at; everything else stays `unknown`. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The parts of a kustomization.yaml this tree uses (kept to what kubectl 1.20's kustomize understands). */
export interface Kustomization {
  resources?: string[];
  bases?: string[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patchesStrategicMerge?: string[];
  patchesJson6902?: { target: Record<string, string>; path: string }[];
  [field: string]: unknown;
}

/** Every YAML document of a file or of a multi-document string, as plain objects; empty documents are dropped. */
export function parseYamlDocuments(text: string, origin: string): unknown[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${origin}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

export function readYamlFile(path: string): unknown[] {
  return parseYamlDocuments(readFileSync(path, "utf8"), path);
}

export function readKustomization(dir: string): Kustomization {
  const [doc] = readYamlFile(join(dir, "kustomization.yaml"));
  return doc as Kustomization;
}

/**
 * The objects a kustomization's `resources` (and, recursively, `bases`) declare, before patches: what the files say.
 * Rendering with patches applied is kubectl's job; the kube tier checks that output.
 */
export function declaredObjects(dir: string): KubeObject[] {
  const kustomization = readKustomization(dir);
  const fromBases = (kustomization.bases ?? []).flatMap((base) => declaredObjects(resolve(dir, base)));
  const own = (kustomization.resources ?? []).flatMap((file) => readYamlFile(join(dir, file)) as KubeObject[]);
  return [...fromBases, ...own];
}

/** The YAML files in a directory, by name. */
export function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yaml"))
    .sort();
}

/** The one object of a kind (and name, when given); fails naming what was there instead. */
export function findObject(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1) {
    const present = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ");
    throw new Error(`expected exactly one ${kind}${name ? `/${name}` : ""}, found ${matches.length} in: ${present}`);
  }
  return matches[0]!;
}
