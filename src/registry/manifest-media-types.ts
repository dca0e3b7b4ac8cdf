/** Manifest media types the client accepts, in the order it prefers them (index first: a multi-arch digest). */
export const ociImageIndex = "application/vnd.oci.image.index.v1+json";
export const ociImageManifest = "application/vnd.oci.image.manifest.v1+json";
export const dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
export const dockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";

export const manifestMediaTypes = [ociImageIndex, ociImageManifest, dockerManifestList, dockerManifestV2] as const;

/** The Accept header of manifest requests: every type above, so the registry never converts (or 404s an OCI manifest). */
export const manifestAccept = manifestMediaTypes.join(", ");
