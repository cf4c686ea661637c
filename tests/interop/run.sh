#!/usr/bin/env bash
# Interoperability run: two third-party Redfish clients, DMTF's
# python-redfish-library and OpenStack sushy, drive a real taskfish server
# through every offered reset and follow its task monitors (clients.py).
#
# Usage: tests/interop/run.sh [TASKFISH_BIN]
#   TASKFISH_BIN   the binary to test (argument or environment); default:
#                  `cargo build --release`, then target/release/taskfish
# Environment:
#   TASKFISH_INTEROP_VENV     venv directory (default:
#                             $XDG_CACHE_HOME/taskfish/interop-venv when
#                             XDG_CACHE_HOME is set, else target/interop-venv)
#   TASKFISH_INTEROP_TIMEOUT  wall-clock limit for clients.py, s (default 600)
#   PYTHON                    interpreter that creates the venv (python3)
#
# The venv is rebuilt only when requirements.txt or the interpreter changed.
# The server runs at --time-scale 0.01 and is always stopped by PID on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
source "$here/lib.sh"

die() { echo "interop: error: $*" >&2; exit 1; }

target_dir=${CARGO_TARGET_DIR:-$repo/target}
if [[ -n ${XDG_CACHE_HOME:-} ]]; then
  default_venv=$XDG_CACHE_HOME/taskfish/interop-venv
else
  default_venv=$target_dir/interop-venv
fi
venv=${TASKFISH_INTEROP_VENV:-$default_venv}
python=${PYTHON:-python3}
limit=${TASKFISH_INTEROP_TIMEOUT:-600}

# Creates the venv when missing or when its stamp (requirements + interpreter
# version) differs; the stamp is written last, so a failed install retries.
ensure_venv() {
  local stamp="$venv/.taskfish-requirements" want
  want="$("$python" --version 2>&1)"$'\n'"$(<"$here/requirements.txt")"
  if [[ -x $venv/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
    echo "interop: reusing venv $venv"
    return
  fi
  echo "interop: creating venv $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" || die "cannot create a venv with $python"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$here/requirements.txt" || die "pip install -r requirements.txt failed"
  printf '%s' "$want" >"$stamp"
}

resolve_binary() {
  local bin=${1:-${TASKFISH_BIN:-}}
  if [[ -z $bin ]]; then
    echo "interop: cargo build --release" >&2
    (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
    bin=$target_dir/release/taskfish
  fi
  [[ -x $bin ]] || die "taskfish binary not found or not executable: $bin"
  printf '%s\n' "$bin"
}

main() {
  command -v timeout >/dev/null || die "'timeout' (coreutils) is required"
  local bin
  bin=$(resolve_binary "${1:-}")
  ensure_venv

  trap stop_server EXIT
  start_server "$bin" "$target_dir/interop-server" --time-scale 0.01 \
    || die "the server did not start"

  local rc=0
  timeout --kill-after=10 "$limit" \
    "$venv/bin/python" "$here/clients.py" --url "$SERVER_URL" || rc=$?
  if ((rc == 124 || rc == 137)); then
    echo "interop: clients.py did not finish within ${limit}s" >&2
  fi

  stop_server || die "the server did not shut down cleanly on SIGTERM"
  trap - EXIT
  exit "$rc"
}

main "$@"
