# shellcheck shell=bash
# Start and stop a taskfish server on loopback, for tests/interop/run.sh and
# .ci/run. Source this file; it defines functions only.
#
#   start_server BIN LOGDIR [SERVE_ARGS...]
#       Runs `BIN serve --listen 127.0.0.1:0 SERVE_ARGS...` in the background
#       with stdout and stderr in LOGDIR, waits for the one ready line
#       `listening on http://ADDR:PORT` (TASKFISH_READY_TIMEOUT seconds,
#       default 15) and sets SERVER_PID, SERVER_URL and SERVER_LOGDIR.
#   stop_server
#       Sends SIGTERM to SERVER_PID, waits up to 10 s, then SIGKILL. Returns 0
#       only when the server exited with status 0 of its own accord after
#       SIGTERM and printed exactly one line on stdout. Safe to call twice.

SERVER_PID=""
SERVER_URL=""
SERVER_LOGDIR=""

start_server() {
  local bin=$1 logdir=$2
  shift 2
  [[ -x $bin ]] || { echo "start_server: not an executable: $bin" >&2; return 1; }
  mkdir -p "$logdir"
  SERVER_LOGDIR=$logdir
  : >"$logdir/stdout.log"
  # A fresh durable store for every run, inside the log directory.
  rm -rf "$logdir/data"
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$logdir/data" "$@" \
    >"$logdir/stdout.log" 2>"$logdir/stderr.log" </dev/null &
  SERVER_PID=$!

  local limit=${TASKFISH_READY_TIMEOUT:-15} waited=0
  while :; do
    SERVER_URL=$(sed -n 's#^listening on \(http://[^ /]*:[0-9][0-9]*\)$#\1#p' \
      "$logdir/stdout.log" | head -n 1)
    [[ -n $SERVER_URL ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      local rc=0
      wait "$SERVER_PID" || rc=$?
      SERVER_PID=""
      echo "start_server: $bin exited with status $rc before its ready line" >&2
      tail -n 20 "$logdir/stderr.log" >&2
      return 1
    fi
    if ((waited >= limit * 20)); then
      echo "start_server: no ready line from $bin within ${limit}s" >&2
      tail -n 20 "$logdir/stderr.log" >&2
      return 1
    fi
    sleep 0.05
    waited=$((waited + 1))
  done
  echo "server pid $SERVER_PID at $SERVER_URL (logs: $logdir)"
}

stop_server() {
  local pid=$SERVER_PID rc=0 i
  [[ -n $pid ]] || return 0
  SERVER_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop_server: pid $pid still running 10s after SIGTERM; killing" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" || rc=$?
  if ((rc != 0)); then
    echo "stop_server: server exited with status $rc after SIGTERM" >&2
    tail -n 20 "$SERVER_LOGDIR/stderr.log" >&2
    return 1
  fi
  local lines
  lines=$(wc -l <"$SERVER_LOGDIR/stdout.log")
  if ((lines != 1)); then
    echo "stop_server: server printed $lines stdout lines, expected exactly 1" >&2
    return 1
  fi
}
