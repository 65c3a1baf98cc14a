# shellcheck shell=bash
# After the installs: check every installed runtime runs, point $CACHE/runtimes/bin/* at
# the pinned defaults, and print the summary table.

RUNTIMES="wasmedge wasmtime wasmer jco"

runtime_default() { # RUNTIME: its pinned default version
  case $1 in
    wasmedge) printf '%s\n' "$WASMEDGE_VERSION" ;;
    wasmtime) printf '%s\n' "$WASMTIME_VERSION" ;;
    wasmer) printf '%s\n' "$WASMER_VERSION" ;;
    jco) printf '%s\n' "$JCO_VERSION" ;;
  esac
}

runtime_extras() { # RUNTIME: its extra versions (installed with --all-versions)
  case $1 in
    wasmtime) printf '%s\n' "$WASMTIME_EXTRA_VERSIONS" ;;
    wasmer) printf '%s\n' "$WASMER_EXTRA_VERSIONS" ;;
    *) printf '\n' ;;
  esac
}

runtime_bin() { printf '%s\n' "$CACHE/runtimes/$1-$2/bin/$1"; } # RUNTIME VERSION

runtime_ok() { "$1_ok" "$(runtime_bin "$1" "$2")" "$2"; } # RUNTIME VERSION

# runtime_rows: "RUNTIME VERSION KIND" for the default of each runtime and for each extra
# that was asked for (--all-versions) or is installed anyway.
runtime_rows() {
  local rt v
  for rt in $RUNTIMES; do
    echo "$rt $(runtime_default "$rt") default"
    for v in $(runtime_extras "$rt"); do
      if [[ $ALL_VERSIONS == 1 || -e $(runtime_bin "$rt" "$v") ]]; then echo "$rt $v extra"; fi
    done
  done
}

# A row must work when its runtime was selected and it is a default or --all-versions.
row_required() { # RUNTIME KIND
  selected "$1" && [[ $2 == default || $ALL_VERSIONS == 1 ]]
}

verify_runtimes() {
  local rt v kind broken=""
  while read -r rt v kind; do
    if runtime_ok "$rt" "$v"; then
      say "$rt $v runs: $(version_line "$(runtime_bin "$rt" "$v")")"
    elif [[ -e $(runtime_bin "$rt" "$v") ]] || row_required "$rt" "$kind"; then
      broken+=" $rt-$v"
      say "$rt $v: NOT WORKING ($(runtime_bin "$rt" "$v"))"
    else
      say "$rt $v: not installed (not selected)"
    fi
  done < <(runtime_rows)
  if runtime_ok wasmedge "$WASMEDGE_VERSION"; then
    if wasmedge_aot_check "$(runtime_bin wasmedge "$WASMEDGE_VERSION")"; then
      say "wasmedge compile (AOT) works"
    else
      broken+=" wasmedge-compile"
      say "wasmedge compile (AOT): NOT WORKING"
    fi
  fi
  [[ -z $broken ]] || die "not working:$broken"
}

link_defaults() {
  local rt v
  for rt in $RUNTIMES; do
    v=$(runtime_default "$rt")
    if runtime_ok "$rt" "$v"; then
      link_if_changed "../$rt-$v/bin/$rt" "$CACHE/runtimes/bin/$rt"
    elif [[ -L $CACHE/runtimes/bin/$rt ]]; then
      say "left $CACHE/runtimes/bin/$rt -> $(readlink "$CACHE/runtimes/bin/$rt") ($rt $v not installed)"
    fi
  done
}

print_table() {
  local rt v kind pinned out path
  local -a rows=("runtime|pinned|--version|path")
  while read -r rt v kind; do
    pinned=$v
    [[ $kind == default ]] || pinned="$v ($kind)"
    path=$(runtime_bin "$rt" "$v")
    if runtime_ok "$rt" "$v"; then out=$(version_line "$path"); else out="(not installed)"; fi
    rows+=("$rt|$pinned|$out|$path")
  done < <(runtime_rows)
  printf '%s\n' "${rows[@]}" | awk -F'|' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END {
      for (r = 1; r <= NR; r++) {
        line = ""
        for (i = 1; i <= 4; i++) line = line sprintf(i < 4 ? "%-" w[i] "s  " : "%s", cell[r, i])
        print line
        if (r == 1) { sep = ""; for (i = 1; i <= 4; i++) { s = ""; for (j = 0; j < w[i]; j++) s = s "-"; sep = sep s (i < 4 ? "  " : "") } print sep }
      }
    }'
  echo "defaults: $CACHE/runtimes/bin/{$(words "$RUNTIMES" | tr ' ' ',')}"
  echo "guest toolchain: $(guest_toolchain_summary)"
}
