# shellcheck shell=bash
# apt helpers: the host's own suites (install missing tools), and a private, unprivileged
# apt configuration for another Debian suite (e.g. trixie) whose mirror is read from the
# machine's own apt sources at run time. Nothing from the other suite is installed into /
# except where a caller explicitly runs dpkg -i.

# The mirror of the machine's main Debian archive: the first `URIs:` line of
# debian.sources, or the first `deb` line of sources.list.
apt_mirror_uri() {
  local sources=/etc/apt/sources.list.d/debian.sources list=/etc/apt/sources.list uri=""
  if [[ -r $sources ]]; then
    uri=$(awk '/^[[:space:]]*URIs:/ { print $2; exit }' "$sources")
  elif [[ -r $list ]]; then
    # deb [options] URI suite components...
    uri=$(awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                             print $i; exit }' "$list")
  fi
  [[ -n $uri ]] || die "no Debian mirror found in $sources or $list"
  printf '%s\n' "$uri"
}

suite_apt_dir() { printf '%s\n' "$CACHE/apt/$1"; }

# suite_apt_prepare SUITE: write the private apt configuration for SUITE (main only).
suite_apt_prepare() {
  local suite=$1 dir uri
  dir=$(suite_apt_dir "$suite")
  uri=$(apt_mirror_uri)
  mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
  : >"$dir/sources.list"
  write_if_changed "$dir/sources.list.d/$suite.sources" "Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
  # The system's dpkg status stays in use; sources, lists and caches are private.
  write_if_changed "$dir/apt.conf" "Dir::Etc::sourcelist \"$dir/sources.list\";
Dir::Etc::sourceparts \"$dir/sources.list.d\";
Dir::State::Lists \"$dir/lists\";
Dir::Cache \"$dir/cache\";
APT::Sandbox::User \"root\";
Acquire::Languages \"none\";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled \"false\";"
}

# suite_apt SUITE CMD...: run an apt command against the private SUITE configuration.
suite_apt() {
  local suite=$1
  shift
  APT_CONFIG="$(suite_apt_dir "$suite")/apt.conf" "$@"
}

# suite_apt_update SUITE: prepare and refresh SUITE's private package lists.
suite_apt_update() {
  suite_apt_prepare "$1"
  say "apt-get update (private $1 configuration)"
  run "apt-get update ($1)" suite_apt "$1" apt-get update
}

# suite_download SUITE DIR PACKAGE...: apt-get download PACKAGEs from SUITE into DIR.
suite_download() {
  local suite=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  say "apt-get download ($suite) into $dir: $*"
  run "apt-get download ($suite)" suite_apt_in "$suite" "$dir" apt-get download "$@"
}

suite_apt_in() { # suite_apt_in SUITE DIR CMD...: suite_apt, run from DIR
  local suite=$1 dir=$2
  shift 2
  (cd "$dir" && suite_apt "$suite" "$@")
}

# suite_closure SUITE PACKAGE...: PACKAGEs and everything they depend on, recursively.
suite_closure() {
  local suite=$1
  shift
  suite_apt "$suite" apt-cache depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances "$@" \
    | awk '!/^[[:space:]]/ && !/^</' | sort -u
}

# deb_upstream_version FILE.deb: the Version field without epoch and Debian revision.
deb_upstream_version() {
  local v
  v=$(dpkg-deb -f "$1" Version)
  v=${v#*:}
  v=${v%%-*}
  printf '%s\n' "${v%%+*}"
}

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]; }

# missing_packages PACKAGE...: those of PACKAGEs that are not installed.
missing_packages() {
  local p
  for p in "$@"; do pkg_installed "$p" || printf '%s\n' "$p"; done
}

# apt_install_missing PACKAGE...: apt-get install those not yet installed, from the
# host's own suites; `apt-get update` only when something is missing.
apt_install_missing() {
  local missing
  missing=$(missing_packages "$@")
  if [[ -z $missing ]]; then
    say "already installed: $*"
    return 0
  fi
  # shellcheck disable=SC2086 # one package name per word
  set -- $missing
  say "installing: $* (apt-get update, then apt-get install)"
  run "apt-get update" as_root apt-get update
  run "apt-get install $*" as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "$@"
  missing=$(missing_packages "$@")
  [[ -z $missing ]] || die "still not installed after apt-get install: $(words "$missing")"
}
