# shellcheck shell=bash
# jco (npm @bytecodealliance/jco): `jco run` runs WASI 0.2 components on the machine's
# Node.js. npm installs it into a private prefix; bin/jco is a wrapper around it.

# install_jco VERSION (an @bytecodealliance/jco version on npm)
install_jco() {
  local v=$1 prefix="$CACHE/runtimes/jco-$1" tmp="$CACHE/runtimes/.jco-$1.tmp"
  if jco_ok "$prefix/bin/jco" "$v"; then
    say "jco $v present: $prefix"
    return 0
  fi
  command -v npm >/dev/null || die "npm (with Node.js) is needed to install jco"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  run_long "npm install @bytecodealliance/jco@$v" "$CACHE/logs/jco-$v.log" \
    npm install --no-audit --no-fund --prefix "$tmp" "@bytecodealliance/jco@$v" \
    || die "npm install @bytecodealliance/jco@$v failed: $(log_tail "$CACHE/logs/jco-$v.log")"
  # The wrapper finds node_modules relative to its real location (it is also reached
  # through the runtimes/bin/jco symlink), so the prefix can move.
  cat > "$tmp/bin/jco" <<'WRAPPER'
#!/bin/sh
exec "$(dirname "$(readlink -f "$0")")/../node_modules/.bin/jco" "$@"
WRAPPER
  chmod +x "$tmp/bin/jco"
  rm -rf "$prefix"
  mv "$tmp" "$prefix"
  jco_ok "$prefix/bin/jco" "$v" \
    || die "jco $v does not run: $(version_line "$prefix/bin/jco")"
  say "installed jco $v: $prefix"
}

jco_ok() { # BIN VERSION
  [[ -x $1 ]] || return 1
  grep -q 'readlink -f' "$1" || return 1 # an older wrapper that breaks behind the symlink
  [[ $(version_line "$1") == "$2" ]]
}
