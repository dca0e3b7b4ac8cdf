import { repositoryName, tryParseImageReference } from "../../core/domain/image-reference.js";
import type { Workload } from "../../core/domain/workload.js";

/**
 * The cached workloads by the normalised repository (`repositoryName`) of their containers' images, kept as the
 * cache changes: planning an update then looks at the few workloads of its repository instead of parsing the
 * image of every cached workload (~7 µs each: 15-35 ms per update at 10,000 workloads on 2 loaded cores).
 */
export interface WorkloadRepositoryIndex {
  /** Indexes `workload` under `key`, replacing what was indexed under that key. */
  set(key: string, workload: Workload): void;
  delete(key: string): void;
  /** The workloads with a container (init containers included) of `repository`; empty when none. */
  using(repository: string): readonly Workload[];
}

export function createWorkloadRepositoryIndex(): WorkloadRepositoryIndex {
  /** repository -> key -> workload. */
  const byRepository = new Map<string, Map<string, Workload>>();
  /** key -> the repositories it is indexed under. */
  const repositoriesOf = new Map<string, readonly string[]>();

  function remove(key: string): void {
    for (const repository of repositoriesOf.get(key) ?? []) {
      const entry = byRepository.get(repository);
      entry?.delete(key);
      if (entry?.size === 0) byRepository.delete(repository);
    }
    repositoriesOf.delete(key);
  }

  return {
    set(key, workload) {
      remove(key);
      const repositories = new Set<string>();
      for (const container of workload.containers) {
        const reference = tryParseImageReference(container.image);
        if (reference !== undefined) repositories.add(repositoryName(reference));
      }
      for (const repository of repositories) {
        let entry = byRepository.get(repository);
        if (entry === undefined) {
          entry = new Map();
          byRepository.set(repository, entry);
        }
        entry.set(key, workload);
      }
      repositoriesOf.set(key, [...repositories]);
    },
    delete: remove,
    using(repository) {
      const entry = byRepository.get(repository);
      return entry === undefined ? [] : [...entry.values()];
    },
  };
}
