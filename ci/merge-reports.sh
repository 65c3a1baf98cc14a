#!/usr/bin/env bash
# Merges the per-version JSON reports in INDIR into OUTDIR/matrix.{json,md,html} and
# writes OUTDIR/summary.md: the merged matrix, then what changed between each older
# version and the newest of the same runtime. Used by the CI workflow's merge job.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
  echo "usage: ci/merge-reports.sh INDIR OUTDIR" >&2
  exit 2
fi
indir=$1 outdir=$2
shopt -s nullglob
reports=("$indir"/*.json)
if [ ${#reports[@]} -eq 0 ]; then
  echo "merge-reports: no JSON reports in $indir" >&2
  exit 1
fi
mkdir -p "$outdir"
harness() { cargo run --quiet -p harness -- "$@"; }
harness merge "${reports[@]}" --json "$outdir/matrix.json" \
  --markdown "$outdir/matrix.md" --html "$outdir/matrix.html" > /dev/null
cp "$outdir/matrix.md" "$outdir/summary.md"
for runtime in $(bash ci/versions-list.sh | awk '{print $1}' | sort -u); do
  versions=$(bash ci/versions-list.sh | awk -v r="$runtime" '$1 == r {print $2}' | sort -V)
  newest=$(echo "$versions" | tail -n 1)
  for version in $versions; do
    old="$indir/$runtime-$version.json" new="$indir/$runtime-$newest.json"
    [ "$version" = "$newest" ] || [ ! -f "$old" ] || [ ! -f "$new" ] && continue
    {
      echo
      echo "## $runtime $version -> $newest"
      echo
      harness diff "$old" "$new" || true
    } >> "$outdir/summary.md"
  done
done
echo "wrote $outdir/matrix.{json,md,html} and $outdir/summary.md"
