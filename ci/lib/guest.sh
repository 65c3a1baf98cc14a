# shellcheck shell=bash
# The Rust toolchain that builds the wasm guests. Primary: rustup's wasm32-wasip1/-wasip2
# targets. Fallback (rustup cannot add them, or WASI_PROXY_FORCE_TOOLCHAIN=debian):
# Debian's rustc-web/cargo-web with -Zbuild-std, lld-22's wasm-ld and trixie's wasi-libc.
# Either way the choice is written to $CACHE/guest-toolchain.env.

RUSTUP_TIMEOUT=${SETUP_RUSTUP_TIMEOUT:-180}
DEBIAN_WASI_LIBDIR=/usr/lib/wasm32-wasi

setup_guest_toolchain() {
  if [[ ${WASI_PROXY_FORCE_TOOLCHAIN:-} == debian ]]; then
    say "WASI_PROXY_FORCE_TOOLCHAIN=debian: not using rustup"
    debian_guest_toolchain
  elif rustup_targets_installed; then
    say "rustup targets present: $RUST_WASM_TARGETS"
    write_guest_env rustup
  elif rustup_add_targets; then
    write_guest_env rustup
  else
    say "rustup could not add $RUST_WASM_TARGETS; falling back to Debian's Rust (build-std)"
    debian_guest_toolchain
  fi
  say "guest toolchain: $(guest_toolchain_summary)"
}

rustup_targets_installed() {
  local installed t
  command -v rustup >/dev/null || return 1
  installed=$(rustup target list --installed 2>>"$STEP_LOG") || return 1
  for t in $RUST_WASM_TARGETS; do
    grep -qx "$t" <<<"$installed" || return 1
  done
}

# Two tries: a cold first request through the registry proxy has hung for over a minute.
rustup_add_targets() {
  local attempt rc
  command -v rustup >/dev/null || { say "rustup not found"; return 1; }
  for attempt in 1 2; do
    rc=0
    # shellcheck disable=SC2086 # one target per word
    run_long "rustup target add (try $attempt of 2, timeout ${RUSTUP_TIMEOUT}s)" "$STEP_LOG" \
      timeout "$RUSTUP_TIMEOUT" rustup target add $RUST_WASM_TARGETS || rc=$?
    if ((rc == 0)) && rustup_targets_installed; then return 0; fi
    if ((rc == 124)); then
      say "rustup target add timed out after ${RUSTUP_TIMEOUT}s"
    else
      say "rustup target add failed (exit $rc): $(log_tail "$STEP_LOG")"
    fi
  done
  return 1
}

debian_guest_toolchain() {
  # shellcheck disable=SC2086 # one package per word
  apt_install_missing $DEBIAN_RUST_PACKAGES
  install_trixie_wasi_libc
  local f
  for f in /usr/bin/cargo /usr/bin/rustc "$DEBIAN_WASM_LD" /usr/lib/rustlib/src/rust/library \
    "$DEBIAN_WASI_LIBDIR/libwasi-emulated-pthread.a"; do
    [[ -e $f ]] || die "Debian toolchain incomplete: $f is missing"
  done
  write_guest_env debian
}

wasi_libc_ok() {
  [[ $(dpkg-query -W -f='${Version}' wasi-libc 2>/dev/null) == "$WASI_LIBC_DEBIAN_VERSION" \
    && -e $DEBIAN_WASI_LIBDIR/libwasi-emulated-pthread.a ]]
}

install_trixie_wasi_libc() {
  local suite=$WASI_LIBC_DEBIAN_SUITE dir="$CACHE/downloads/wasi-libc" deb version
  if wasi_libc_ok; then
    say "wasi-libc $WASI_LIBC_DEBIAN_VERSION present"
    return 0
  fi
  suite_apt_update "$suite"
  rm -rf "$dir"
  suite_download "$suite" "$dir" wasi-libc
  deb=$(find "$dir" -name 'wasi-libc_*.deb' | head -n 1)
  [[ -n $deb ]] || die "apt-get download wasi-libc produced no .deb in $dir"
  version=$(dpkg-deb -f "$deb" Version)
  [[ $version == "$WASI_LIBC_DEBIAN_VERSION" ]] \
    || die "$suite has wasi-libc $version, versions.env pins $WASI_LIBC_DEBIAN_VERSION"
  say "dpkg -i $(basename "$deb")"
  run "dpkg -i wasi-libc" as_root dpkg -i "$deb"
  wasi_libc_ok || die "wasi-libc installed but $DEBIAN_WASI_LIBDIR/libwasi-emulated-pthread.a is missing"
}

write_guest_env() {
  local header="# Written by ci/setup.sh: which Rust builds the wasm guests. Shell-sourceable."
  # harness/build.rs reads this file line by line without skipping comments: keep KEY=VALUE
  # lines plain and keep "=" out of the comments.
  if [[ $1 == rustup ]]; then
    write_if_changed "$CACHE/guest-toolchain.env" "$header
# rustup's own targets ($RUST_WASM_TARGETS): plain \`cargo build --target ...\`.
GUEST_TOOLCHAIN=rustup"
  else
    write_if_changed "$CACHE/guest-toolchain.env" "$header
# Debian's Rust: cargo build -Zbuild-std (needs RUSTC_BOOTSTRAP), linked by GUEST_LINKER
# against GUEST_LIBDIR plus -lwasi-emulated-pthread.
GUEST_TOOLCHAIN=debian
GUEST_CARGO=/usr/bin/cargo
GUEST_RUSTC=/usr/bin/rustc
GUEST_BUILD_STD=1
GUEST_LINKER=$DEBIAN_WASM_LD
GUEST_LIBDIR=$DEBIAN_WASI_LIBDIR"
  fi
}

guest_toolchain_summary() {
  local f="$CACHE/guest-toolchain.env" kind
  [[ -f $f ]] || { printf 'not set up'; return 0; }
  kind=$(sed -n 's/^GUEST_TOOLCHAIN=//p' "$f")
  case $kind in
    rustup) printf 'rustup (%s; %s)' "$(rustc --version 2>/dev/null || echo 'rustc ?')" "$f" ;;
    debian) printf 'debian (%s, build-std; %s)' "$(/usr/bin/rustc --version 2>/dev/null || echo 'rustc ?')" "$f" ;;
    *) printf 'unknown (%s)' "$f" ;;
  esac
}
