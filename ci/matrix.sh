#!/usr/bin/env bash
# The main job: set up whatever is missing, then run every guest x scenario under
# every runtime, print the Markdown matrix, write results/matrix.{json,md,html} and
# check the results against tests/expectations (non-zero exit on any surprise).
# Extra arguments go to `harness matrix` (e.g. --runtime wasmtime, --scenario echo).
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup.sh
mkdir -p results
cargo run --quiet -p harness -- matrix \
  --json results/matrix.json --markdown results/matrix.md --html results/matrix.html \
  --check "$@"
echo "wrote results/matrix.json, results/matrix.md, results/matrix.html"
