#!/usr/bin/env bash
# Tight interleaved A/B of two native builds, both alive at once against one devnet (127.0.0.1 only,
# bounded by request count): B is this tree's build started by `NATIVE=1 ./run.sh` (port PORT), A is
# another build (A_BIN, e.g. a worktree of an older commit, published with its own run.sh or
# `dotnet publish src/SessionVoice.Api -c Release -r linux-x64 -p:PublishAot=true -o artifacts/native`) or
# the same one with other settings (A_ENV), started with B's environment on PORT+1 and its own data.
# Each round measures GET /health, POST /session/join, POST /auth and POST /auth/verify (fresh signed bodies, half
# as many requests for the two sign-ins) on A and on B,
# in alternating order (A first in odd rounds, B first in even ones), and prints the server CPU µs per
# request (user + system, from /proc), then the median per variant.
#   A_BIN=/work/wt/before/artifacts/native/SessionVoice.Api bench/pair.sh            # 4 rounds, 20000 requests
#   A_BIN=artifacts/native-copy/SessionVoice.Api A_ENV='DOTNET_X=1' bench/pair.sh 6    # settings A/B (copy the folder:
#                                                                                      #   run.sh republishes artifacts/native)
#   ROUNDS (argument 1, default 4), N (argument 2, default 20000; half for the sign-ins), CONNS (16), PORT (3400), ANVIL_PORT (8600)
# Calibrate first with A = a copy of B's own build: what differs between A and B then is the method's bias.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-4} N=${2:-20000} CONNS=${CONNS:-16}
[ -x "${A_BIN:-}" ] || { echo "A_BIN must name another native SessionVoice.Api (see the header)"; exit 2; }
export NATIVE=1
. bench/lib.sh
beside_setup
start_service "$work/run.log"
b=$svc
mapfile -d '' b_env < "/proc/$b/environ"
# shellcheck disable=SC2086
env "${b_env[@]}" ${A_ENV:-} PORT=$((PORT + 1)) DATA_DIR="$work/a" "$A_BIN" >"$work/a.log" 2>&1 &
a=$!
other_pid=$a
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$((PORT + 1))/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$((PORT + 1))/health" >/dev/null || { echo "A did not start"; tail -20 "$work/a.log"; exit 1; }

token=$(gen token "http://127.0.0.1:$PORT" "$HOST_KEY")
hz=$(getconf CLK_TCK)
# one VARIANT PID PORT PATH N [load.js options]: one bounded run, one result line.
one() {
  local variant=$1 pid=$2 port=$3 path=$4 n=$5 t0 t1 line
  shift 5
  t0=$(cpu_ticks "$pid")
  line=$(node bench/load.js "http://127.0.0.1:$port$path" "$CONNS" "$n" "$@")
  t1=$(cpu_ticks "$pid")
  echo "$variant $path $(( (t1 - t0) * 1000000 / hz / n )) $line" | tee -a "$work/results"
}
for v in "A $a $((PORT + 1))" "B $b $PORT"; do
  read -r _ pid port <<<"$v"
  node bench/load.js "http://127.0.0.1:$port/health" "$CONNS" 5000 --get >/dev/null
  node bench/load.js "http://127.0.0.1:$port/session/join" "$CONNS" 5000 --body '{"booking_id":"1"}' --token "$token" >/dev/null
done
echo "variant path cpu_us_per_req load.js"
for r in $(seq "$ROUNDS"); do
  gen auth $((N / 2)) "$work/auth.json" >/dev/null   # each service sees every body once: its own store
  gen verify "http://127.0.0.1:$PORT" $((N / 2)) "$work/verify.json" >/dev/null   # nonces from B: both share its JWT secret
  order=("A $a $((PORT + 1))" "B $b $PORT")
  [ $((r % 2)) = 0 ] && order=("B $b $PORT" "A $a $((PORT + 1))")
  for v in "${order[@]}"; do
    read -r variant pid port <<<"$v"
    one "$variant" "$pid" "$port" /health "$N" --get
    one "$variant" "$pid" "$port" /session/join "$N" --body '{"booking_id":"1"}' --token "$token"
    one "$variant" "$pid" "$port" /auth $((N / 2)) --bodies "$work/auth.json"
    one "$variant" "$pid" "$port" /auth/verify $((N / 2)) --bodies "$work/verify.json"
  done
done
echo "median server CPU µs/req (and p99) over $ROUNDS rounds at $CONNS connections (A: ${A_BIN} ${A_ENV:-}; B: this tree)"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => l.split(" "));
  const mid = (v) => { const s = [...v].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  for (const path of ["/health", "/session/join", "/auth", "/auth/verify"]) {
    const of = (variant) => rows.filter(r => r[0] === variant && r[1] === path).map(r => Number(r[2]));
    const p99 = (variant) => rows.filter(r => r[0] === variant && r[1] === path).map(r => JSON.parse(r[3]).p99);
    console.log(`${path}: A ${mid(of("A"))} (${of("A").join(", ")}), B ${mid(of("B"))} (${of("B").join(", ")}); ` +
      `p99 ms A ${mid(p99("A"))}, B ${mid(p99("B"))}`);
  }' "$work/results"
for v in "A $a" "B $b"; do
  read -r variant pid <<<"$v"
  echo "$variant peak RSS $(rss_mb "$pid" VmHWM) MB"
done
