# Sourced by the bench scripts (load.sh, pair.sh, profile.sh): the service as ./run.sh starts it, in a
# session of its own so that one signal ends it and its devnet together.

runner=

# start_service LOG: starts ./run.sh (PORT, ANVIL_PORT, NATIVE, DATA_DIR and the other settings from the
# environment) with its output in LOG, waits for GET /health, and sets svc to the PID listening on PORT.
start_service() {
  setsid ./run.sh >"$1" 2>&1 &
  runner=$!
  for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "the service did not start on $PORT"; tail -20 "$1"; exit 1; }
  svc=$(ss -Hltnp "sport = :$PORT" | sed -nE 's/.*pid=([0-9]+).*/\1/p' | head -1)
  [ -n "$svc" ] || { echo "no process listens on $PORT"; exit 1; }
}

# stop_service: ends run.sh's session (the service and the devnet), if one was started.
stop_service() {
  [ -n "$runner" ] || return 0
  kill -TERM -- "-$runner" 2>/dev/null || kill -TERM "$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
}

# cpu_ticks PID: CPU time the process has used, in clock ticks (fields 14 and 15 of /proc/PID/stat,
# counted after the command name, which may hold spaces).
cpu_ticks() { sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
