#!/usr/bin/env bash
# Renders kube/base into kube/install.yaml (one file for `kubectl apply -f`). Run after changing kube/base;
# test/kube/install-manifest.kube.test.ts fails while the two differ. Any kubectl (its kustomize) will do.
set -euo pipefail
cd "$(dirname "$0")/../.."
kubectl="${UPDATE_MANAGER_KUBECTL:-kubectl}"
{
  echo "# Update Manager, cluster-wide: kube/base rendered by scripts/kube/render-install.sh (do not edit; edit kube/base)."
  echo "# Set the image first (README \"Install in a cluster\"), then: kubectl apply -f kube/install.yaml"
  "$kubectl" kustomize kube/base
} >kube/install.yaml.tmp
mv kube/install.yaml.tmp kube/install.yaml
