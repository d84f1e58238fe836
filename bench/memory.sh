#!/usr/bin/env bash
# Resident memory of one or more variants of the service under the join load (and, with AUTH=1, sign-ins after
# it), one variant at a time, on 127.0.0.1 and bounded by request count. The devnet and the environment come from
# `./run.sh` (NATIVE=1: the native build, as in load.sh), whose own service stays idle on PORT; each variant is
# started with that environment plus its own settings on PORT+1, with fresh data, warmed up (5 000 joins), then
# measured: 20 000 joins at 16 connections, 20 000 at 64, and with AUTH=1 20 000 sign-ins and 10 000
# verifications at 64. One line per variant: RSS at start, peak RSS (VmHWM), anonymous and file-backed RSS at the
# end, threads, server CPU µs per join at 16 and 64 connections.
#   NATIVE=1 bench/memory.sh 'built-in|artifacts/native/SessionVoice.Api|' 'gen0 2 MiB|artifacts/native/SessionVoice.Api|DOTNET_GCgen0size=200000'
#   bench/memory.sh "jit|dotnet src/SessionVoice.Api/bin/Release/net10.0/SessionVoice.Api.dll|MALLOC_ARENA_MAX=2"
#   variant: LABEL|COMMAND|SETTINGS (space-separated NAME=VALUE); SMAPS=DIR keeps each variant's final /proc/PID/smaps
#   (copy artifacts/native first to compare builds: run.sh republishes it)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { sed -n '2,13p' "$0"; exit 2; }
export NATIVE=${NATIVE:-0}
. bench/lib.sh
beside_setup
start_service "$work/run.log"
mapfile -d '' service_env < "/proc/$svc/environ"
token=$(gen token "http://127.0.0.1:$PORT" "$HOST_KEY")
hz=$(getconf CLK_TCK)
url="http://127.0.0.1:$((PORT + 1))"
joins() { node bench/load.js "$url/session/join" "$1" "$2" --body '{"booking_id":"1"}' --token "$token" >/dev/null; }
for spec in "$@"; do
  IFS='|' read -r label command settings <<<"$spec"
  rm -rf "$work/a"
  # shellcheck disable=SC2086
  env "${service_env[@]}" $settings PORT=$((PORT + 1)) DATA_DIR="$work/a" $command >"$work/a.log" 2>&1 &
  other_pid=$!
  for _ in $(seq 300); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
  curl -sf "$url/health" >/dev/null || { echo "$label did not start"; tail -20 "$work/a.log"; exit 1; }
  pid=$(ss -Hltnp "sport = :$((PORT + 1))" | sed -nE 's/.*pid=([0-9]+).*/\1/p' | head -1)
  start=$(rss_mb "$pid" VmRSS)
  joins 16 5000
  t0=$(cpu_ticks "$pid"); joins 16 20000
  t1=$(cpu_ticks "$pid"); joins 64 20000
  t2=$(cpu_ticks "$pid")
  if [ -n "${AUTH:-}" ]; then
    gen auth 20000 "$work/auth.json" >/dev/null
    node bench/load.js "$url/auth" 64 20000 --bodies "$work/auth.json" >/dev/null
    gen verify "$url" 10000 "$work/verify.json" >/dev/null
    node bench/load.js "$url/auth/verify" 64 10000 --bodies "$work/verify.json" >/dev/null
  fi
  [ -n "${SMAPS:-}" ] && cp "/proc/$pid/smaps" "$SMAPS/smaps-${label// /_}.txt"
  echo "$label: start $start MB, peak $(rss_mb "$pid" VmHWM) MB (end: anonymous $(rss_mb "$pid" RssAnon), file $(rss_mb "$pid" RssFile) MB," \
    "$(awk '$1 == "Threads:" {print $2}' "/proc/$pid/status") threads); join CPU µs/req $(( (t1 - t0) * 1000000 / hz / 20000 )) at 16," \
    "$(( (t2 - t1) * 1000000 / hz / 20000 )) at 64${AUTH:+ (sign-ins after the joins)}"
  kill "$pid" "$other_pid" 2>/dev/null || true
  wait "$other_pid" 2>/dev/null || true
  other_pid=
done
