#!/usr/bin/env bash
# Fuzzes the harness's parsers of untrusted text (harness/fuzz): every runtime
# adapter's stderr classifier and the expectations file parser. CI-sized by default:
# FUZZ_SECONDS (30) per target. Needs the nightly toolchain; installs cargo-fuzz into
# the cache when missing. Without nightly it says so and exits 0: the same target
# functions run as unit tests on stable (harness::fuzzing) in `cargo test`.
#
# Longer runs, e.g. before a release or after touching a classifier:
#   FUZZ_SECONDS=3600 ci/fuzz.sh                 # an hour per target
#   FUZZ_SECONDS=600 ci/fuzz.sh expectations     # one target
#   FUZZ_JOBS=2 FUZZ_SECONDS=3600 ci/fuzz.sh     # one fuzzer process per core
# Inputs that crash land in harness/fuzz/artifacts/<target>/; replay one with
#   cd harness/fuzz && RUSTC=$(rustup which --toolchain nightly rustc) \
#     cargo fuzz run <target> artifacts/<target>/<file>
# and add it to the corpus of harness/src/fuzzing.rs's unit tests once fixed. The
# corpus grown by a run is kept in harness/fuzz/corpus/<target>/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
JOBS="${FUZZ_JOBS:-1}"
CACHE="${WASI_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wasi-proxy-matrix}"
TOOLS="$CACHE/tools"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(classify expectations)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly); the fuzz" \
    "targets still run as unit tests in cargo test" >&2
  exit 0
fi
export PATH="$TOOLS/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz into $TOOLS" >&2
  cargo install --locked cargo-fuzz --root "$TOOLS"
fi

# Seeds: real expectation files and real runtime messages, so the fuzzer starts from
# inputs that reach deep into the parsers instead of from nothing.
seed() {
  local target=$1 dir=harness/fuzz/corpus/$1
  mkdir -p "$dir"
  case $target in
    expectations)
      for file in harness/tests/fixtures/expectations/*.toml tests/expectations/*.toml; do
        [ -f "$file" ] && cp "$file" "$dir/seed-$(basename "$(dirname "$file")")-$(basename "$file")"
      done
      ;;
    classify)
      # Exit code 1 (0x00 + le32 1), then the text; see harness::fuzzing::classify.
      local i=0 line
      while IFS= read -r line; do
        i=$((i + 1))
        { printf '\000\001\000\000\000'; printf '%b' "$line"; } >"$dir/seed-$i"
      done <<'EOF'
[error] instantiation failed: unknown import, Code: 0x302\n[error]     When linking module: "wasi_snapshot_preview1" , function name: "sock_open"\n
Error: failed to run main module `proxy.wasm`\n\nCaused by:\n    0: failed to instantiate "proxy.wasm"\n    1: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined\n
error: Spawn failed\n\xe2\x95\xb0\xe2\x94\x80\xe2\x96\xb6 1: Failed to create the instance - Error while importing "wasi_snapshot_preview1"."fd_write": incompatible import type. Expected Function(FunctionType { params: [I64], results: [] }) but received Function(FunctionType { params: [I32], results: [I32] })\n
wasm trap: wasm `unreachable` instruction executed\n
RuntimeError: unreachable\n
EOF
      ;;
  esac
}

# Nightly rustc (for the sanitizer flags) under the default cargo, not `cargo
# +nightly`: the harness's build script builds the wasm guests with the toolchain it
# inherits, and the wasm targets are installed for the default one only.
NIGHTLY_RUSTC=$(rustup which --toolchain nightly rustc)

# -jobs sends each worker's output to fuzz-N.log: only worth it for several.
PARALLEL=()
[ "$JOBS" -gt 1 ] && PARALLEL=(-jobs="$JOBS" -workers="$JOBS")
for target in "${TARGETS[@]}"; do
  seed "$target"
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s" >&2
  (cd harness/fuzz && RUSTC="$NIGHTLY_RUSTC" cargo fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 "${PARALLEL[@]}")
done
echo "fuzz: no crash in ${TARGETS[*]}" >&2
