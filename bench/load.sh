#!/usr/bin/env bash
# Loopback load scenario (127.0.0.1 only, bounded by request count): starts a devnet and the service
# (./run.sh), then runs POST /auth, /auth/verify, /session/join and /webhooks/agora at 16 and 64
# connections with autocannon from tools/ (after an unreported warm-up), and prints a table with
# the server's CPU time per request (utime + stime of the service process from /proc/PID/stat,
# before and after each run, divided by the requests), req/s, p50, p99, errors, the service's peak
# RSS, and how long a fresh start takes to be ready. On a small machine shared with the load
# generator req/s mostly says who got the cores; CPU per request is the figure that carries over.
# Every /auth and /auth/verify request is a distinct, freshly signed message.
#   CLIENT=autocannon: the health and join rows with autocannon's own CLI instead of load.js (the
#   ranking must not depend on the client; sign-in rows need a fresh body per request: load.js only).
#   AMOUNT (requests per run, default 40000; half for /auth/verify, a quarter for the warm-up),
#   RUNS (runs per row, default 5: the table shows the median of each figure),
#   PORT (3400; PORT+1 for the ready-time starts), ANVIL_PORT (8600),
#   NATIVE=1 (measure the ahead-of-time compiled build, as `NATIVE=1 ./run.sh` runs it; JIT otherwise)
#   FLOOR=0 (leave out the floor row: GET /health of bench/SessionVoice.Floor, a bare Kestrel app of the same
#   build kind, measured the same way on PORT+2 after the service's rows; what any ASP.NET Core service costs here)
#   CLAIMS=1 (no webhook secret: claims decide, so every join takes its booking's shared turn in
#   KeyedLock, as a deployment without Agora webhooks does; no webhook rows or warm-up)
# Arguments pick rows (health auth verify join webhooks ready); none means all of them.
set -euo pipefail
rows=${*:-health auth verify join webhooks ready}
want() { [[ " $rows " == *" $1 "* ]]; }
cd "$(dirname "$0")/.."
AMOUNT=${AMOUNT:-40000}
RUNS=${RUNS:-5}
export PORT=${PORT:-3400} ANVIL_PORT=${ANVIL_PORT:-8600}
work=$(mktemp -d)
. bench/lib.sh
cleanup() {
  stop_service
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

dotnet build -c Release bench/SessionVoice.LoadGen --nologo -v q >/dev/null
dotnet build -c Release bench/SessionVoice.LoadTest --nologo -v q >/dev/null
floor=()
if [ "${FLOOR:-1}" = 1 ]; then
  if [ "${NATIVE:-0}" = 1 ]; then
    dotnet publish bench/SessionVoice.Floor -c Release -r linux-x64 -p:PublishAot=true -o artifacts/floor-native --nologo -v q >/dev/null
    floor=(artifacts/floor-native/SessionVoice.Floor)
  else
    dotnet build -c Release bench/SessionVoice.Floor --nologo -v q >/dev/null
    floor=(dotnet bench/SessionVoice.Floor/bin/Release/net10.0/SessionVoice.Floor.dll)
  fi
fi
export AUTH_RATE_LIMIT_PER_MINUTE=100000000 SESSION_RATE_LIMIT_PER_MINUTE=100000000 AGORA_WEBHOOK_SECRET=load-test-webhook-secret Logging__LogLevel__Default=Warning
if [ "${CLAIMS:-0}" = 1 ]; then
  unset AGORA_WEBHOOK_SECRET
  rows=${rows//webhooks/}
fi
export DATA_DIR="$work/data"
start_service "$work/run.log"

base="http://127.0.0.1:$PORT"
token=$(gen token "$base" "$HOST_KEY")

# median LABEL C: JSON lines ({cpu,rps,p50,p99,errors}) on stdin -> one table row, the median of
# each figure over the runs and the sum of errors.
median() { node -e '
  const runs = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
  const mid = (k) => { const v = runs.map(r => r[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  console.log(`| ${process.argv[1]} | ${process.argv[2]} | ${mid("cpu")} | ${mid("rps")} | ${mid("p50")} | ${mid("p99")} | ${runs.reduce((n, r) => n + r.errors, 0)} |`);
' "$1" "$2"; }

hz=$(getconf CLK_TCK)
# measured PID N CMD...: runs one load command (one JSON line out) and adds "cpu", the CPU microseconds
# per request the process PID used over the run (N requests).
measured() {
  local pid=$1 n=$2 t0 t1 line
  shift 2
  t0=$(cpu_ticks "$pid")
  line=$("$@")
  t1=$(cpu_ticks "$pid")
  node -e 'const r = JSON.parse(process.argv[1]); r.cpu = Math.round((process.argv[2] * 1e6 / process.argv[3]) / (r.total || process.argv[4])); console.log(JSON.stringify(r));' \
    "$line" "$((t1 - t0))" "$hz" "$n"
}
# client URL C N [load.js options]: one bounded run with load.js, or with autocannon's CLI when
# CLIENT=autocannon (fixed body only); both print {rps,p50,p99,errors}.
client() {
  local url=$1 c=$2 n=$3
  shift 3
  if [ "${CLIENT:-load.js}" != autocannon ]; then node bench/load.js "$url" "$c" "$n" "$@"; return; fi
  local args=(-c "$c" -a "$n" -j -t 10) method=POST
  while [ $# -gt 0 ]; do
    case $1 in
      --get) method=GET ;;
      --body) args+=(-b "$2" -H content-type=application/json); shift ;;
      --token) args+=(-H "authorization=Bearer $2"); shift ;;
      *) echo "CLIENT=autocannon cannot do $1" >&2; return 1 ;;
    esac
    shift
  done
  node tools/node_modules/autocannon/autocannon.js "${args[@]}" -m "$method" "$url" 2>/dev/null | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(JSON.stringify({ rps: Math.round(r.requests.total / r.duration), p50: r.latency.p50, p99: r.latency.p99,
      errors: r.errors + r.timeouts + r.non2xx, total: r.requests.total }));'
}
webhooks() {
  dotnet bench/SessionVoice.LoadTest/bin/Release/net10.0/SessionVoice.LoadTest.dll "$base" load-test-webhook-secret heaven-6343-1 $((0xFA4293BC)) "$1" "$2" |
    sed -E 's/webhooks: [0-9]+ events, [0-9]+ connections, ([0-9]+) events\/s, p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, errors ([0-9]+)/{"rps":\1,"p50":\2,"p99":\3,"errors":\4}/'
}
warm=$((AMOUNT / 4))

# Warm-up (not reported): JIT tiers, connection pools and SQLite pages settle as in a long run.
gen auth "$warm" "$work/warm.json" >/dev/null
node bench/load.js "$base/auth" 16 "$warm" --bodies "$work/warm.json" >/dev/null
node bench/load.js "$base/session/join" 16 "$warm" --body '{"booking_id":"1"}' --token "$token" >/dev/null
node bench/load.js "$base/health" 16 "$warm" --get >/dev/null
[ "${CLAIMS:-0}" = 1 ] || webhooks "$warm" 16 >/dev/null

build="JIT (dotnet run)"
[ "${NATIVE:-0}" = 1 ] && build="native (PublishAot, artifacts/native)"
[ "${CLAIMS:-0}" = 1 ] && build="$build, claims decide (no webhook secret)"
echo "build: $build"
# What the service itself found at start (it warns when it falls back to managed recovery).
grep -q 'libsecp256k1 with its recovery module was not found' "$work/run.log" && secp="managed (libsecp256k1 is not installed: sign-in costs ~100 µs more)" || secp=libsecp256k1
echo "secp256k1 recovery: $secp"
echo "client: ${CLIENT:-load.js}; median of $RUNS runs per row, $AMOUNT requests per run ($((AMOUNT / 2)) for /auth/verify)"
printf '| endpoint | connections | server CPU µs/req | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|\n'
want health && for c in 16 64; do
  for _ in $(seq "$RUNS"); do
    measured "$svc" "$AMOUNT" client "$base/health" "$c" "$AMOUNT" --get
  done | median "GET /health" "$c"
done
[ "${CLIENT:-load.js}" = autocannon ] || { want auth && for c in 16 64; do
  for _ in $(seq "$RUNS"); do
    gen auth "$AMOUNT" "$work/auth.json" >/dev/null
    measured "$svc" "$AMOUNT" node bench/load.js "$base/auth" "$c" "$AMOUNT" --bodies "$work/auth.json"
  done | median "POST /auth" "$c"
done; }
[ "${CLIENT:-load.js}" = autocannon ] || { want verify && for c in 16 64; do
  n=$((AMOUNT / 2))
  for _ in $(seq "$RUNS"); do
    gen verify "$base" "$n" "$work/verify.json" >/dev/null
    measured "$svc" "$n" node bench/load.js "$base/auth/verify" "$c" "$n" --bodies "$work/verify.json"
  done | median "POST /auth/verify" "$c"
done; }
want join && for c in 16 64; do
  for _ in $(seq "$RUNS"); do
    measured "$svc" "$AMOUNT" client "$base/session/join" "$c" "$AMOUNT" --body '{"booking_id":"1"}' --token "$token"
  done | median "POST /session/join" "$c"
done
if [ ${#floor[@]} -gt 0 ]; then
  # The same client and settings against the bare Kestrel app, on its own port, the service idle meanwhile.
  floor_url="http://127.0.0.1:$((PORT + 2))/health"
  DOTNET_GCgen0size=${DOTNET_GCgen0size:-400000} "${floor[@]}" --urls "http://127.0.0.1:$((PORT + 2))" >"$work/floor.log" 2>&1 &
  floor_pid=$!
  for _ in $(seq 200); do curl -sf "$floor_url" >/dev/null && break; sleep 0.1; done
  node bench/load.js "$floor_url" 16 "$warm" --get >/dev/null
  for c in 16 64; do
    for _ in $(seq "$RUNS"); do measured "$floor_pid" "$AMOUNT" client "$floor_url" "$c" "$AMOUNT" --get; done | median "GET /health, bare Kestrel (floor)" "$c"
  done
  kill "$floor_pid"; wait "$floor_pid" 2>/dev/null || true
fi
join_rss="$(rss_mb "$svc" VmHWM) MB"
want webhooks && for c in 16 64; do
  for _ in $(seq "$RUNS"); do measured "$svc" "$AMOUNT" webhooks "$AMOUNT" "$c"; done | median "POST /webhooks/agora" "$c"
done
echo
echo "peak RSS of the service: $join_rss after the sign-in and join runs, $(rss_mb "$svc" VmHWM) MB after all runs"

want ready || exit 0
# Ready time: a second instance (same settings, its own port and data) from exec to /health/ready.
mapfile -d '' svc_env < "/proc/$svc/environ"
for i in 1 2 3; do
  t0=$(date +%s%N)
  if [ "${NATIVE:-0}" = 1 ]; then
    env "${svc_env[@]}" PORT=$((PORT + 1)) DATA_DIR="$work/ready-$i" artifacts/native/SessionVoice.Api >/dev/null 2>&1 &
  else
    env "${svc_env[@]}" PORT=$((PORT + 1)) DATA_DIR="$work/ready-$i" dotnet src/SessionVoice.Api/bin/Release/net10.0/SessionVoice.Api.dll >/dev/null 2>&1 &
  fi
  second=$!
  for _ in $(seq 1000); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 1))/health/ready" && break; sleep 0.01; done
  t1=$(date +%s%N)
  kill -TERM "$second" 2>/dev/null; wait "$second" 2>/dev/null || true
  ready[i]=$(( (t1 - t0) / 1000000 ))
done
echo "ready to serve after start: ${ready[1]} / ${ready[2]} / ${ready[3]} ms (three starts)"
