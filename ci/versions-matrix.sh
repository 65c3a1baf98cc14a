#!/usr/bin/env bash
# Runtime support across versions, in one command on this machine: installs every
# version pinned in ci/versions.env side by side, runs the matrix under each (the same
# ci/matrix-job.sh the CI workflow runs per job), then
#   - merges them (ci/merge-reports.sh) into results/versions/merged/matrix.{json,md,html}
#     plus summary.md, which adds what changed from each older version to the newest;
#   - refreshes the committed history, tests/history/<runtime>-<version>.json, and its
#     rendered view, tests/history/SUPPORT.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup.sh --all-versions
reports=results/versions/reports
rm -rf results/versions
mkdir -p "$reports"
mapfile -t pairs < <(bash ci/versions-list.sh)
for pair in "${pairs[@]}"; do
  read -r runtime version <<< "$pair"
  echo "==> $runtime $version"
  # stdin closed: nothing in the job may eat what the loop reads, or ask a question.
  bash ci/matrix-job.sh "$runtime" "$version" "$reports" < /dev/null
done

bash ci/merge-reports.sh "$reports" results/versions/merged

mkdir -p tests/history
cp "$reports"/*.json tests/history/
cargo run --quiet -p harness -- history tests/history --markdown tests/history/SUPPORT.md > /dev/null
echo "wrote results/versions/merged/ and refreshed tests/history/"
