#!/usr/bin/env bash
# One cell of the version matrix: installs RUNTIME at VERSION (a version pinned in
# ci/versions.env, default or extra) and runs every guest x scenario under it,
# writing OUTDIR/RUNTIME-VERSION.json. Used by the CI workflow (one job per version)
# and by ci/versions-matrix.sh (all versions on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 3 ]; then
  echo "usage: ci/matrix-job.sh RUNTIME VERSION OUTDIR" >&2
  exit 2
fi
runtime=$1 version=$2 outdir=$3
if ! bash ci/versions-list.sh | grep -qx "$runtime $version"; then
  echo "matrix-job: $runtime $version is not pinned in ci/versions.env" >&2
  exit 2
fi

bash ci/setup.sh --all-versions --only "guest tools $runtime"
cache=$(bash ci/setup.sh --print-cache)
binary="$cache/runtimes/$runtime-$version/bin/$runtime"
mkdir -p "$outdir"
cargo run --quiet -p harness -- matrix --runtime "$runtime=$binary" \
  --json "$outdir/$runtime-$version.json" > "$outdir/$runtime-$version.md"
echo "wrote $outdir/$runtime-$version.json"
