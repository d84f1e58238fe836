# Sourced by the bench scripts (load.sh, pair.sh, profile.sh, memory.sh): the service as ./run.sh starts it, in a
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

# rss_mb PID FIELD: a memory field of /proc/PID/status (VmRSS, VmHWM, RssAnon, RssFile) in whole MB.
rss_mb() { awk -v k="$2" '$1 == k":" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# gen ARGS: the load generator (signed sign-in bodies, verifications, a session token); built by the caller.
gen() { dotnet bench/SessionVoice.LoadGen/bin/Release/net10.0/SessionVoice.LoadGen.dll "$@"; }

# Anvil account #2, the demo booking's host: the join rows join as this wallet.
HOST_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a

# beside_setup: what pair.sh and memory.sh share, which run a second instance (other_pid) beside the run.sh-started
# one: the load settings (no rate limits, a webhook secret so that joins take no lock), a work folder with the
# service's data under it, a trap that ends both instances and removes the folder, and the load generator built.
beside_setup() {
  export PORT=${PORT:-3400} ANVIL_PORT=${ANVIL_PORT:-8600} Logging__LogLevel__Default=Warning
  export AUTH_RATE_LIMIT_PER_MINUTE=100000000 SESSION_RATE_LIMIT_PER_MINUTE=100000000 AGORA_WEBHOOK_SECRET=load-test-webhook-secret
  work=$(mktemp -d)
  export DATA_DIR="$work/b"
  other_pid=
  trap beside_cleanup EXIT INT TERM
  dotnet build -c Release bench/SessionVoice.LoadGen --nologo -v q >/dev/null
}

beside_cleanup() {
  [ -n "$other_pid" ] && { kill "$other_pid" 2>/dev/null || true; }
  stop_service
  rm -rf "$work"
}
