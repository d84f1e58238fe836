#!/usr/bin/env bash
# Loopback load scenario (127.0.0.1 only, bounded by request count): starts a devnet and the service
# (./run.sh), then runs POST /auth, /auth/verify, /session/join and /webhooks/agora at 16 and 64
# connections with autocannon from tools/, and prints a table with req/s, p50, p99, errors and the
# service's peak RSS. Every /auth and /auth/verify request is a distinct, freshly signed message.
#   AMOUNT (requests per run, default 20000), PORT (3400), ANVIL_PORT (8600)
set -euo pipefail
cd "$(dirname "$0")/.."
AMOUNT=${AMOUNT:-20000}
export PORT=${PORT:-3400} ANVIL_PORT=${ANVIL_PORT:-8600}
work=$(mktemp -d)
runner=
cleanup() {
  [ -n "$runner" ] && { kill -TERM -- "-$runner" 2>/dev/null || kill -TERM "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

dotnet build -c Release bench/SessionVoice.LoadGen --nologo -v q >/dev/null
dotnet build -c Release bench/SessionVoice.LoadTest --nologo -v q >/dev/null
export AUTH_RATE_LIMIT_PER_MINUTE=100000000 AGORA_WEBHOOK_SECRET=load-test-webhook-secret Logging__LogLevel__Default=Warning
export DATA_DIR="$work/data"
setsid ./run.sh >"$work/run.log" 2>&1 &
runner=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "service did not start"; tail -20 "$work/run.log"; exit 1; }
svc=$(pgrep -f 'SessionVoice.Api' | head -1)

gen() { dotnet bench/SessionVoice.LoadGen/bin/Release/net10.0/SessionVoice.LoadGen.dll "$@"; }
base="http://127.0.0.1:$PORT"
HOST_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
token=$(gen token "$base" "$HOST_KEY")

printf '| endpoint | connections | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n'
for c in 16 64; do
  gen auth "$AMOUNT" "$work/auth.json" >/dev/null
  r=$(node bench/load.js "$base/auth" "$c" "$AMOUNT" --bodies "$work/auth.json")
  node -e 'const r=JSON.parse(process.argv[1]);console.log(`| POST /auth | ${process.argv[2]} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`)' "$r" "$c"
done
for c in 16 64; do
  n=$((AMOUNT / 4))
  gen verify "$base" "$n" "$work/verify.json" >/dev/null
  r=$(node bench/load.js "$base/auth/verify" "$c" "$n" --bodies "$work/verify.json")
  node -e 'const r=JSON.parse(process.argv[1]);console.log(`| POST /auth/verify | ${process.argv[2]} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`)' "$r" "$c"
done
for c in 16 64; do
  r=$(node bench/load.js "$base/session/join" "$c" "$AMOUNT" --body '{"booking_id":"1"}' --token "$token")
  node -e 'const r=JSON.parse(process.argv[1]);console.log(`| POST /session/join | ${process.argv[2]} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`)' "$r" "$c"
done
for c in 16 64; do
  line=$(dotnet bench/SessionVoice.LoadTest/bin/Release/net10.0/SessionVoice.LoadTest.dll "$base" load-test-webhook-secret heaven-6343-1 $((0xFA4293BC)) "$AMOUNT" "$c")
  echo "$line" | sed -E 's/webhooks: [0-9]+ events, ([0-9]+) connections, ([0-9]+) events\/s, p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, errors ([0-9]+)/| POST \/webhooks\/agora | \1 | \2 | \3 | \4 | \5 |/'
done
echo
echo "peak RSS of the service: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$svc/status")"
