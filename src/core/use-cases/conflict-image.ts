/**
 * An image from IMAGE_CONFLICT metadata. Adapters name the keys `expected_image`/`actual_image`
 * (the port's documentation says `expected`/`actual`); both are read.
 */
export function conflictImage(
  metadata: Readonly<Record<string, string>>,
  which: "expected" | "actual",
): string | undefined {
  return metadata[`${which}_image`] ?? metadata[which];
}
