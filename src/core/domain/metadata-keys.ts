/**
 * Every label and annotation key the manager reads or writes. The README publishes this table;
 * keep the two in step. The prefix is configurable (UPDATE_MANAGER_KEY_PREFIX) so two installations
 * can share a cluster.
 */
export interface MetadataKeys {
  /** Label on a workload or migration template: opts it in under a classifier. */
  readonly classifierLabel: string;
  /** Annotation of the original update manager; honoured in legacy mode. */
  readonly legacyClassifierAnnotation: string;
  /** Annotation on a migration template: its explicit order (integer, lower first). */
  readonly migrationOrderAnnotation: string;
  /** Label on a migration Job copy: the update that created it. */
  readonly updateIdLabel: string;
  /** Label on a migration Job copy: the template it was copied from. */
  readonly migrationOfLabel: string;
  /** Annotation on a workload held by an update: the update's id (the lock). */
  readonly lockAnnotation: string;
  /** Annotation on a workload or migration template: updates that change it wait for this many approvers. */
  readonly approvalsAnnotation: string;
}

export const defaultKeyPrefix = "update-manager.io";
export const legacyClassifierAnnotation = "xcnt.io/update-classifier";

export function createMetadataKeys(prefix: string = defaultKeyPrefix): MetadataKeys {
  return {
    classifierLabel: `${prefix}/classifier`,
    legacyClassifierAnnotation,
    migrationOrderAnnotation: `${prefix}/migration-order`,
    updateIdLabel: `${prefix}/update-id`,
    migrationOfLabel: `${prefix}/migration-of`,
    lockAnnotation: `${prefix}/locked-by`,
    approvalsAnnotation: `${prefix}/approvals`,
  };
}
