/** An image from IMAGE_CONFLICT metadata (`expected_image` / `actual_image`, as ClusterPort documents). */
export function conflictImage(
  metadata: Readonly<Record<string, string>>,
  which: "expected" | "actual",
): string | undefined {
  return metadata[`${which}_image`];
}
