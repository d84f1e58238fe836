#!/usr/bin/env bash
# Where the service's CPU goes under load: starts a devnet and the service (./run.sh), warms it up,
# then samples the service process with Linux perf (call graphs, 1999 Hz) during one bounded
# loopback run per endpoint and prints the share of samples per group of code (bench/profile-groups.js:
# Kestrel, routing, JWT, JSON, logging, SQLite, GC...), per module, the top symbols, and the
# inclusive share of a few entry points (what a request's stages cost with everything they call).
#   bench/profile.sh [health|join] ...   (default: join health)
#   NATIVE=1 profiles the ahead-of-time build; JIT code is named through perf maps
#   (DOTNET_PerfMapEnabled=1, with W^X off so the JIT's code is in memory perf can attribute).
#   AMOUNT (requests per run, 40000), PORT (3500), ANVIL_PORT (8700), OUT (artifacts/profile: the
#   reports and each row's perf.data; JIT names need the service's /tmp/perf-PID.map, kept by the runtime).
# Needs perf (Debian: linux-perf) and the permission to use it (root, or perf_event_paranoid <= 1).
set -euo pipefail
rows=${*:-join health}
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)"; exit 1; }
AMOUNT=${AMOUNT:-40000}
OUT=${OUT:-artifacts/profile}
mkdir -p "$OUT"
work=$(mktemp -d)
export PORT=${PORT:-3500} ANVIL_PORT=${ANVIL_PORT:-8700} AUTH_RATE_LIMIT_PER_MINUTE=100000000 SESSION_RATE_LIMIT_PER_MINUTE=100000000 AGORA_WEBHOOK_SECRET=load-test-webhook-secret Logging__LogLevel__Default=Warning
export DATA_DIR="$work/data" DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
. bench/lib.sh
cleanup() {
  stop_service
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' INT TERM
dotnet build -c Release bench/SessionVoice.LoadGen --nologo -v q >/dev/null
start_service "$work/run.log"
base="http://127.0.0.1:$PORT"
token=$(gen token "$base" "$HOST_KEY")
args_of() {
  case $1 in
    join) echo "/session/join --body {\"booking_id\":\"1\"} --token $token" ;;
    health) echo "/health --get" ;;
    *) echo "unknown row $1" >&2; exit 2 ;;
  esac
}
for row in $rows; do
  read -r path opts <<<"$(args_of "$row")"
  # shellcheck disable=SC2086
  node bench/load.js "$base$path" 16 "$((AMOUNT / 2))" $opts >/dev/null   # warm-up
  perf record -F 1999 -g -p "$svc" -o "$work/$row.data" -- sleep 3600 2>/dev/null &
  recorder=$!
  sleep 0.5
  # shellcheck disable=SC2086
  echo "$row: $(node bench/load.js "$base$path" 16 "$AMOUNT" $opts)"
  kill -INT "$recorder"; wait "$recorder" 2>/dev/null || true
  {
    [ "${NATIVE:-0}" = 1 ] && kind=native || kind=JIT
    echo "# $row, $kind, $AMOUNT requests at 16 connections: share of samples per group (self time)"
    perf report -i "$work/$row.data" --no-children --sort dso,sym --stdio -g none --percent-limit 0 2>/dev/null | node bench/profile-groups.js
    echo "# inclusive share (with callees) of some entry points"
    perf report -i "$work/$row.data" --children --sort sym --stdio -g none --percent-limit 0.5 2>/dev/null |
      grep -E 'JwtBearerHandler.*HandleAuthenticate|AuthenticationMiddleware.*Invoke|AuthorizationMiddleware.*Invoke|RtcTokenIssuer.*Issue|AccessToken2.*Encode|SmallZlib.*Compress|JsonSerializer.*Serialize|Logger.*Log|SqliteWriteQueue|KeyedLock|GrantAsync|JoinAsync|HealthCheck|EndpointMiddleware.*Invoke|Http1Connection.*ProcessRequests|SocketConnection.*(Receive|Send)|sys_sendto|sys_recvfrom|epoll_wait|WKS..gc_heap..garbage_collect|RhpGcAlloc|gc_heap.*allocate_more_space' |
      sed -E 's/^ +//' | awk '!seen[$0]++ && n++ < 30' || true
    echo "# share of samples per module"
    perf report -i "$work/$row.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | awk 'n++ < 15' || true
    echo "# top symbols"
    perf report -i "$work/$row.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | awk 'n++ < 60' || true
  } > "$OUT/$row.txt"
  cp "$work/$row.data" "$OUT/$row.perf.data"   # for perf report -i ... (call graphs: -G, --children)
  echo "  -> $OUT/$row.txt, $OUT/$row.perf.data"
done
