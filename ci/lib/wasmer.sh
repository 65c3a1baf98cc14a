# shellcheck shell=bash
# Wasmer from crates.io: cargo install --locked wasmer-cli@<v> --features <features>
# into $CACHE/runtimes/wasmer-<v>, target dir $CACHE/build/wasmer-<v>, log
# $CACHE/logs/wasmer-<v>.log (ending in `EXIT <code>`). About 25 minutes on 2 cores.

# install_wasmer VERSION
install_wasmer() {
  local v=$1 prefix="$CACHE/runtimes/wasmer-$1" log="$CACHE/logs/wasmer-$1.log" rc=0
  if wasmer_ok "$prefix/bin/wasmer" "$v"; then
    say "wasmer $v present: $prefix"
    return 0
  fi
  if wasmer_build_running "$prefix"; then
    say "a cargo install of wasmer $v into $prefix is already running; waiting for it (log: $log)"
    watch_while "wasmer $v build (started elsewhere)" "$log" wasmer_build_running "$prefix"
    if wasmer_ok "$prefix/bin/wasmer" "$v"; then
      say "wasmer $v present: $prefix"
      return 0
    fi
    say "that build left no working wasmer ($(log_tail "$log")); building it here"
  fi
  command -v cargo >/dev/null || die "cargo is needed to build wasmer-cli $v"
  mkdir -p "$CACHE/build"
  : >"$log"
  # shellcheck disable=SC2034 # STEP_LOG is named by die
  STEP_LOG=$log
  say "cargo install wasmer-cli@$v --features $WASMER_FEATURES (about 25 min on 2 cores)"
  run_long "wasmer $v build" "$log" env CARGO_TARGET_DIR="$CACHE/build/wasmer-$v" \
    cargo install --locked --root "$prefix" "wasmer-cli@$v" --features "$WASMER_FEATURES" \
    || rc=$?
  local last
  last=$(log_tail "$log")
  echo "EXIT $rc" >>"$log"
  ((rc == 0)) || die "cargo install wasmer-cli@$v exited $rc: $last"
  wasmer_ok "$prefix/bin/wasmer" "$v" \
    || die "built wasmer does not report version $v: $(version_line "$prefix/bin/wasmer")"
  say "installed wasmer $v: $prefix"
}

# Is some cargo install (from this script or started by hand) building into PREFIX?
wasmer_build_running() {
  command -v pgrep >/dev/null || return 1
  pgrep -f -- "cargo install .*--root $1( |\$)" >/dev/null
}

wasmer_ok() { # BIN VERSION
  [[ -x $1 ]] || return 1
  [[ $(version_line "$1") == "wasmer $2"* ]]
}
