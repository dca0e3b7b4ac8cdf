import type { MetadataKeys } from "./metadata-keys.js";
import type { Workload } from "./workload.js";

export interface MigrationOrder {
  /** The explicit order; undefined when the annotation is unset or invalid. */
  readonly order?: number;
  /** Set when the annotation is present but not an integer: the plan shows it. */
  readonly warning?: string;
}

const int32Min = -2147483648;
const int32Max = 2147483647;

/**
 * Reads a migration template's explicit order annotation. The value must be an integer in the
 * int32 range (the API reports it as int32); anything else is treated as unset, with a warning.
 */
export function migrationOrder(template: Workload, keys: MetadataKeys): MigrationOrder {
  const raw = template.annotations[keys.migrationOrderAnnotation];
  if (raw === undefined) return {};
  const trimmed = raw.trim();
  const integer = /^[-+]?\d+$/.test(trimmed);
  const value = integer ? Number(trimmed) : Number.NaN;
  if (!integer || value < int32Min || value > int32Max) {
    const { kind, namespace, name } = template.ref;
    // An out-of-range integer is an integer: say what is actually wrong with it.
    const problem = integer ? `is outside the int32 range (${int32Min} to ${int32Max})` : "is not an integer";
    return {
      warning: `${kind} ${namespace}/${name}: annotation ${keys.migrationOrderAnnotation}="${raw}" ${problem}; treated as unset`,
    };
  }
  // Number("-0") is -0; the order is plain 0.
  return { order: value === 0 ? 0 : value };
}
