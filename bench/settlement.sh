#!/usr/bin/env bash
# Settlement at scale (figures: bench/SETTLEMENT.md): anvil on 127.0.0.1 with a free port (never
# 8545/8600), the escrow deployed, bookings created in bulk, and the service's own standalone composition
# (Hosting.AddSessionVoice: watcher, SettlementLoop, SQLite store, EscrowClient, OracleSubmitter) run
# in-process with its clock moved together with anvil's. Prints one table per run. Bounded: each run stops
# after --timeout seconds (default 600) and is killed after 30 min.
#   bench/settlement.sh                     sweep of 10 000 due at once (1 s blocks), then bursts of 100
#                                           (automine, 1 s and 12 s blocks)
#   bench/settlement.sh sweep|burst [--bookings N] [--block-time S|auto] [--gas-limit G] [--timeout S]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ] || (cd tools && npm ci --no-audit --no-fund --loglevel=error)
dotnet build -c Release bench/SessionVoice.SettlementBench --nologo -v q >/dev/null
run() { timeout 1800 dotnet bench/SessionVoice.SettlementBench/bin/Release/net10.0/SessionVoice.SettlementBench.dll "$@"; }
if [ $# -gt 0 ]; then
  run "$@"
  exit
fi
status=0
run sweep --bookings "${BOOKINGS:-10000}" --block-time 1 || status=$?
for blocks in auto 1 12; do
  echo
  run burst --bookings 100 --block-time "$blocks" || status=$?
done
exit "$status"
