#!/usr/bin/env bash
# Interleaved A/B of one bench/load.sh row: runs load.sh ROUNDS times with environment A and
# ROUNDS times with environment B, alternating (A B A B ...), each with RUNS runs per row, and prints
# every round's rows, then the median over the rounds of each figure per variant and connection count.
#   bench/ab.sh 'DOTNET_TieredPGO=1' 'DOTNET_TieredPGO=0'          # the join row, 3 rounds
#   ROW=health ROUNDS=5 bench/ab.sh 'X=1' 'X=2'                     # any row; any load.sh setting
# A and B are space-separated VAR=value assignments given to load.sh (and so to the service).
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2
ROW=${ROW:-join} ROUNDS=${ROUNDS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in $(seq "$ROUNDS"); do
  for v in A B; do
    [ $v = A ] && vars=$a || vars=$b
    # shellcheck disable=SC2086
    env $vars bench/load.sh "$ROW" | grep '^| [A-Z]' | grep -v '^| endpoint' | sed "s/^/$v /" | tee -a "$out"
  done
done
echo "median over $ROUNDS rounds (A: $a; B: $b)"
echo "| variant | endpoint | connections | server CPU µs/req | req/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => {
    const [v, rest] = [l[0], l.slice(2)];
    const c = rest.split("|").map(s => s.trim()).filter(Boolean);
    return { v, key: `${c[0]} | ${c[1]}`, f: c.slice(2, 6).map(Number) };
  });
  const groups = {};
  for (const r of rows) (groups[`${r.v} | ${r.key}`] ||= []).push(r.f);
  const mid = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  for (const [k, fs] of Object.entries(groups).sort()) {
    console.log(`| ${k} | ${[0, 1, 2, 3].map(i => mid(fs.map(f => f[i]))).join(" | ")} |`);
  }' "$out"
