# shellcheck shell=bash
# WasmEdge from Debian trixie's packages, unpacked (dpkg -x, never into /) into
# $CACHE/runtimes/wasmedge-<v>/root, run through a wrapper script that starts the
# prefix's wasmedge with the prefix's own dynamic loader and libraries.

WASMEDGE_TRIPLET=x86_64-linux-gnu
WASMEDGE_LOADER=ld-linux-x86-64.so.2

# install_wasmedge VERSION
install_wasmedge() {
  local v=$1 prefix="$CACHE/runtimes/wasmedge-$1" tmp="$CACHE/runtimes/.wasmedge-$1.tmp"
  local dl="$CACHE/downloads/wasmedge-$1" suite=$WASMEDGE_DEBIAN_SUITE pkgs extra
  if wasmedge_ok "$prefix/bin/wasmedge" "$v"; then
    say "wasmedge $v present: $prefix"
    return 0
  fi
  [[ $(dpkg --print-architecture) == amd64 ]] || die "the WasmEdge prefix is only set up for amd64"
  suite_apt_update "$suite"
  extra=$(words "$(wasmedge_unlisted_deps "$suite")")
  if [[ -n $extra ]]; then
    say "note: $suite's wasmedge also needs $extra; fetching those too (add them to WASMEDGE_DEBS)"
  fi
  pkgs=$(words "$WASMEDGE_DEBS $extra")
  rm -rf "$dl" "$tmp"
  # shellcheck disable=SC2086 # one package per word
  suite_download "$suite" "$dl" $pkgs
  check_wasmedge_deb_version "$dl" "$v"
  mkdir -p "$tmp/root" "$tmp/bin"
  say "unpacking $(find "$dl" -name '*.deb' | wc -l) packages into $prefix/root"
  local deb
  for deb in "$dl"/*.deb; do
    run "dpkg -x $(basename "$deb")" dpkg -x "$deb" "$tmp/root"
  done
  write_wasmedge_wrapper "$tmp/bin/wasmedge" "$v"
  check_wasmedge_libraries "$tmp"
  wasmedge_ok "$tmp/bin/wasmedge" "$v" \
    || die "unpacked wasmedge does not report version $v: $(version_line "$tmp/bin/wasmedge")"
  rm -rf "$prefix"
  mv "$tmp" "$prefix"
  say "installed wasmedge $v: $prefix"
}

# wasmedge_unlisted_deps SUITE: packages in wasmedge's dependency closure in SUITE
# that WASMEDGE_DEBS misses.
wasmedge_unlisted_deps() {
  local p
  for p in $(suite_closure "$1" wasmedge); do
    in_list "$p" "$WASMEDGE_DEBS" || printf '%s\n' "$p"
  done
}

check_wasmedge_deb_version() { # DIR VERSION
  local deb got
  deb=$(find "$1" -name 'wasmedge_*.deb' | head -n 1)
  [[ -n $deb ]] || die "apt-get download produced no wasmedge .deb in $1"
  got=$(deb_upstream_version "$deb")
  [[ $got == "$2" ]] || die "$WASMEDGE_DEBIAN_SUITE has wasmedge $got, versions.env pins $2"
  say "downloaded $(basename "$deb") (matches pin $2)"
}

write_wasmedge_wrapper() { # FILE VERSION
  cat >"$1" <<EOF
#!/bin/sh
# WasmEdge $2 from Debian $WASMEDGE_DEBIAN_SUITE, unpacked into ../root. Written by ci/setup.sh.
# Runs the prefix's wasmedge through the prefix's own dynamic loader, so its newer glibc
# and libraries are used without installing anything into /.
here=\$(dirname "\$(readlink -f "\$0")")
root=\$(dirname "\$here")/root
lib=\$root/usr/lib/$WASMEDGE_TRIPLET
exec "\$lib/$WASMEDGE_LOADER" --argv0 wasmedge \\
  --library-path "\$lib:\$root/lib/$WASMEDGE_TRIPLET:/lib/$WASMEDGE_TRIPLET:/usr/lib/$WASMEDGE_TRIPLET" \\
  "\$root/usr/bin/wasmedge" "\$@"
EOF
  chmod +x "$1"
}

# check_wasmedge_libraries PREFIX: every library wasmedge needs resolves, via the same
# loader and search path as the wrapper.
check_wasmedge_libraries() {
  local root="$1/root" lib listing
  lib="$1/root/usr/lib/$WASMEDGE_TRIPLET"
  listing=$("$lib/$WASMEDGE_LOADER" --library-path \
    "$lib:$root/lib/$WASMEDGE_TRIPLET:/lib/$WASMEDGE_TRIPLET:/usr/lib/$WASMEDGE_TRIPLET" \
    --list "$root/usr/bin/wasmedge" 2>&1) || true
  printf '%s\n' "$listing" >>"$STEP_LOG"
  if grep -q 'not found' <<<"$listing"; then
    die "wasmedge libraries not found: $(grep 'not found' <<<"$listing" | awk '{print $1}' | tr '\n' ' ')"
  fi
  say "all $(grep -c '=>' <<<"$listing") libraries resolve ($(grep -c "=> $root" <<<"$listing") from the prefix)"
}

wasmedge_ok() { # BIN VERSION
  [[ -x $1 ]] || return 1
  [[ $(version_line "$1") == *"version $2" ]]
}

# wasmedge_aot_check BIN: `wasmedge compile` (LLVM AOT) on a tiny module with an empty
# _start, then run the compiled module.
wasmedge_aot_check() {
  local dir rc=0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/wasmedge-aot.XXXXXX")
  # (module (func (export "_start")))
  printf '\0asm\1\0\0\0\1\4\1\140\0\0\3\2\1\0\7\12\1\6_start\0\0\12\4\1\2\0\13' >"$dir/start.wasm"
  {
    "$1" compile "$dir/start.wasm" "$dir/start-aot.wasm" && "$1" "$dir/start-aot.wasm"
  } >>"$STEP_LOG" 2>&1 || rc=$?
  rm -rf "$dir"
  return "$rc"
}
