# shellcheck shell=bash
# Shared helpers for ci/setup.sh: step banners, the one-line failure report, logged
# commands, long commands with a heartbeat, and small file utilities.
# Expects CACHE to be set by the caller.

STEP="start"   # the step in progress, named in the FAILED line
STEP_LOG=""    # that step's log
BG_PID=""      # a background command that must not outlive the script
FAIL_MARK=""   # file that says "the failure was already reported" (set by init_failure_handling)
HEARTBEAT_SECS=${SETUP_HEARTBEAT_SECS:-30}

say() { printf '    %s\n' "$*"; }

# step NAME: announce a step; its commands log to $CACHE/logs/setup-<name>.log.
step() {
  STEP=$1
  STEP_LOG="$CACHE/logs/setup-$(slug "$1").log"
  : >"$STEP_LOG"
  printf '==> %s\n' "$STEP"
}

slug() { tr -cs 'A-Za-z0-9._-' '-' <<<"$1" | sed 's/^-*//; s/-*$//'; }

# log_tail FILE: the last non-empty line of FILE, without colour codes, cut to 160 chars.
log_tail() {
  [[ -s $1 ]] || { printf '(empty log)'; return 0; }
  tail -c 20000 "$1" | tr '\r' '\n' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' \
    | awk 'NF { line = $0 } END { print substr(line, 1, 160) }'
}

# die REASON: print the one failure line and stop.
die() {
  printf 'setup: FAILED at %s: %s (log: %s)\n' "$STEP" "$*" "${STEP_LOG:-none}" >&2
  if [[ -n $FAIL_MARK ]]; then : >"$FAIL_MARK"; fi
  exit 1
}

# Turns any unexpected failure (set -e) into the same one-line report. A failure in a
# subshell is reported once, by the parent, unless die already reported it.
on_err() {
  local rc=$1 cmd=$2
  if [[ -n $FAIL_MARK && -e $FAIL_MARK ]]; then exit "$rc"; fi
  if ((BASH_SUBSHELL > 0)); then exit "$rc"; fi
  die "command failed (exit $rc): $cmd"
}

on_exit() {
  if [[ -n $BG_PID ]]; then kill "$BG_PID" 2>/dev/null || true; fi
  if [[ -n $FAIL_MARK ]]; then rm -f "$FAIL_MARK"; fi
}

init_failure_handling() {
  FAIL_MARK=$(mktemp "${TMPDIR:-/tmp}/setup-failed.XXXXXX")
  rm -f "$FAIL_MARK"
  set -E
  trap 'on_err $? "$BASH_COMMAND"' ERR
  trap on_exit EXIT
  trap 'exit 130' INT TERM
}

# run WHAT CMD...: run CMD with its output appended to the step log; on failure stop
# with WHAT, the exit code and the log's last line.
run() {
  local what=$1 rc=0
  shift
  printf '+ %s\n' "$*" >>"$STEP_LOG"
  "$@" >>"$STEP_LOG" 2>&1 || rc=$?
  ((rc == 0)) || die "$what exited $rc: $(log_tail "$STEP_LOG")"
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

heartbeat() { # heartbeat WHAT START_SECONDS LOG
  say "... $1: still running, $(fmt_secs $((SECONDS - $2))) elapsed | $(log_tail "$3")"
}

# watch_while WHAT LOG CONDITION...: block while CONDITION succeeds, printing a
# heartbeat every HEARTBEAT_SECS.
watch_while() {
  local what=$1 log=$2 start=$SECONDS next
  shift 2
  next=$((SECONDS + HEARTBEAT_SECS))
  while "$@"; do
    sleep 1
    if ((SECONDS >= next)); then
      heartbeat "$what" "$start" "$log"
      next=$((SECONDS + HEARTBEAT_SECS))
    fi
  done
  say "$what: finished after $(fmt_secs $((SECONDS - start)))"
}

pid_alive() { kill -0 "$1" 2>/dev/null; }

# run_long WHAT LOG CMD...: run CMD in the background with output appended to LOG,
# show a heartbeat while it runs, return its exit code.
run_long() {
  local what=$1 log=$2 rc=0
  shift 2
  printf '+ %s\n' "$*" >>"$log"
  "$@" >>"$log" 2>&1 &
  BG_PID=$!
  say "$what: started (pid $BG_PID, log: $log)"
  watch_while "$what" "$log" pid_alive "$BG_PID"
  wait "$BG_PID" || rc=$?
  BG_PID=""
  return "$rc"
}

# write_if_changed FILE CONTENT: (re)write FILE only when its content differs.
write_if_changed() {
  if [[ -f $1 && $(<"$1") == "$2" ]]; then return 0; fi
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >"$1"
  say "wrote $1"
}

# link_if_changed TARGET LINK: point symlink LINK at TARGET unless it already does.
link_if_changed() {
  if [[ -L $2 && $(readlink "$2") == "$1" ]]; then return 0; fi
  mkdir -p "$(dirname "$2")"
  ln -sfn "$1" "$2"
  say "linked $2 -> $1"
}

as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "needs root (or sudo) to run: $*"
  fi
}

# first_line TEXT: TEXT up to its first newline.
first_line() { printf '%s' "${1%%$'\n'*}"; }

version_line() { # BIN: first line of `BIN --version`
  local out
  out=$("$1" --version 2>&1 </dev/null) || true
  first_line "$out"
}

# words LIST: LIST's words separated by single spaces.
words() {
  local w
  w=$(tr -s ' \t\n' ' ' <<<"$*")
  w=${w# }
  printf '%s\n' "${w% }"
}

# in_list WORD LIST: is WORD one of the whitespace-separated words of LIST?
in_list() { [[ " $(words "$2") " == *" $1 "* ]]; }
