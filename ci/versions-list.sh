#!/usr/bin/env bash
# Lists every runtime version pinned in ci/versions.env (defaults and extras), one
# "runtime version" pair per line, or as a JSON array for a CI job matrix (--json).
# The install directory of each is $CACHE/runtimes/<runtime>-<version>/bin/<runtime>.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ci/versions.env
source ci/versions.env

pairs() {
  echo "wasmedge $WASMEDGE_VERSION"
  for v in $WASMTIME_VERSION $WASMTIME_EXTRA_VERSIONS; do echo "wasmtime $v"; done
  for v in $WASMER_VERSION $WASMER_EXTRA_VERSIONS; do echo "wasmer $v"; done
}

if [ "${1:-}" = "--json" ]; then
  pairs | awk 'BEGIN { printf "[" } NR > 1 { printf "," }
    { printf "{\"runtime\":\"%s\",\"version\":\"%s\"}", $1, $2 } END { print "]" }'
else
  pairs
fi
