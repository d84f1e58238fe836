#!/usr/bin/env bash
# Starts Session Voice standalone against a throw-away local devnet, on a fresh clone, with no
# secret to invent:
#   1. installs the pinned npm tools in tools/ (npm ci, only when package-lock.json changed),
#   2. compiles the test contracts (solc-js) into artifacts/contracts/ and builds the API (Release),
#   3. starts anvil (chain id 6343, 127.0.0.1:${ANVIL_PORT:-8545}, 1 s blocks),
#   4. deploys SessionEscrowV1 (oracle = anvil account #1),
#   5. creates a demo booking (host = anvil #2, guest = anvil #3) that can be joined right away,
#   6. starts the service on 127.0.0.1:${PORT:-3338} and prints a copy-pasteable walkthrough.
# Ctrl-C (or any failure) stops the service and anvil. The chain is new on every run, so the
# service's DATA_DIR (default ./data/devnet) is wiped at start.
#
# Optional environment: NATIVE=1 (run the ahead-of-time compiled build: slower to build, less
# memory), ANVIL_PORT, PORT, DATA_DIR, AGORA_APP_ID + AGORA_APP_CERTIFICATE (your
# own Agora project; random development values otherwise), JWT_SECRET, SERVICE_TOKEN, and any
# other setting the service reads (docs/configuration.md).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD

say() { printf '== %s\n' "$*"; }
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
trap 'printf "run.sh: error: command failed (line %s): %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

ANVIL_PORT=${ANVIL_PORT:-8545}
PORT=${PORT:-3338}
CHAIN_ID=6343
RPC_URL="http://127.0.0.1:${ANVIL_PORT}"
API="http://127.0.0.1:${PORT}"

TOOLS_BIN="$ROOT/tools/node_modules/@foundry-rs"
ANVIL="$TOOLS_BIN/anvil-linux-amd64/bin/anvil"
CAST="$TOOLS_BIN/cast-linux-amd64/bin/cast"

# anvil's well-known development accounts (keys from its default mnemonic, public: never use them
# on a real chain). The addresses are derived from the keys with cast once the tools are installed:
# #1 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, #2 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
# #3 0x90F79bf6EB2c4f870365E785982E1f101E93b906, #5 (treasury) 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc.
DEPLOYER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80   # #0
ORACLE_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d     # #1
HOST_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a       # #2
GUEST_KEY=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6      # #3
TREASURY_KEY=0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba   # #5

# The escrow's constructor, as the production deploy: fee 300 bps, challenge window 24 h, bond 0.01 ether,
# late-cancel penalty 20 %, no-attest buffer 24 h, dispute timeout 7 days.
ESCROW_FEE_BPS=300 ESCROW_CHALLENGE_WINDOW=86400 ESCROW_CHALLENGE_BOND_WEI=10000000000000000
ESCROW_LATE_CANCEL_PENALTY_BPS=2000 ESCROW_NO_ATTEST_BUFFER=86400 ESCROW_DISPUTE_TIMEOUT=604800

# Demo slot: starts in 2 minutes (joining opens 5 minutes before the start, so right away; the escrow wants
# a start more than 60 s after the block that creates or books it). The price is the host's base price.
SLOT_START_IN=120 SLOT_DURATION_MINS=30 SLOT_GRACE_MINS=5 SLOT_MIN_OVERLAP_MINS=10 SLOT_CANCEL_CUTOFF_MINS=0
SLOT_PRICE_WEI=10000000000000000 # 0.01 ether

# ------------------------------------------------------------------ helpers

# rand_hex N: N random bytes as 2N lowercase hex characters.
rand_hex() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex "$1"
  else
    od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
    echo
  fi
}

# port_in_use PORT: true when something on 127.0.0.1 accepts connections on PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# json EXPR: reads JSON on stdin as `j` and prints EXPR; fails when EXPR is undefined or null.
json() {
  node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const v = (function (j) { return eval(process.argv[1]); })(j);
    if (v === undefined || v === null) process.exit(1);
    console.log(typeof v === "object" ? JSON.stringify(v) : String(v));' "$1"
}

# Background processes get their own process group (setsid), so cleanup can stop each one with
# everything it started (dotnet run starts the app as a child), and Ctrl-C reaches only this script.
spawn() {
  if command -v setsid >/dev/null 2>&1; then setsid "$@" & else "$@" & fi
}

# stop NAME PID: SIGTERM to the process group (then the process), SIGKILL after 15 s.
stop() {
  local name=$1 pid=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  say "stopped $name"
}

ANVIL_PID="" SERVICE_PID=""
cleanup() {
  local status=$?
  trap '' INT TERM HUP
  trap - ERR
  [ -n "$SERVICE_PID" ] && stop "session-voice" "$SERVICE_PID"
  [ -n "$ANVIL_PID" ] && stop "anvil" "$ANVIL_PID"
  exit "$status"
}
trap cleanup EXIT
trap 'echo; say "interrupted, stopping"; exit 130' INT
trap 'say "terminated, stopping"; exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------------ preflight

for cmd in node npm dotnet curl sha256sum; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not installed (needs the .NET 10 SDK, Node.js 20+, npm, curl)"
done
NATIVE=${NATIVE:-0}
[[ "$NATIVE" =~ ^[01]$ ]] || die "NATIVE must be 0 (JIT build, the default) or 1 (native build)"
[[ "$ANVIL_PORT" =~ ^[0-9]+$ ]] || die "ANVIL_PORT must be a port number"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a port number"
[ "$ANVIL_PORT" != "$PORT" ] || die "ANVIL_PORT and PORT are both $PORT"
port_in_use "$ANVIL_PORT" && die "port $ANVIL_PORT is already in use (another anvil?); stop it or set ANVIL_PORT"
port_in_use "$PORT" && die "port $PORT is already in use (another session-voice?); stop it or set PORT"

# Service secrets: your own when set, random development values otherwise (never printed, except
# SERVICE_TOKEN, which you need to call the service-only endpoints).
agora_note=""
if [ -z "${AGORA_APP_ID:-}" ] && [ -z "${AGORA_APP_CERTIFICATE:-}" ]; then
  AGORA_APP_ID=$(rand_hex 16)
  AGORA_APP_CERTIFICATE=$(rand_hex 16)
  agora_note="AGORA_APP_ID/AGORA_APP_CERTIFICATE are random development values: tokens are well-formed, but real Agora calls need your own from the Agora console (export both before ./run.sh)."
elif [ -z "${AGORA_APP_ID:-}" ] || [ -z "${AGORA_APP_CERTIFICATE:-}" ]; then
  die "set both AGORA_APP_ID and AGORA_APP_CERTIFICATE, or neither (random development values)"
fi
[[ "$AGORA_APP_ID" =~ ^[0-9a-fA-F]{32}$ ]] || die "AGORA_APP_ID must be 32 hex characters"
[[ "$AGORA_APP_CERTIFICATE" =~ ^[0-9a-fA-F]{32}$ ]] || die "AGORA_APP_CERTIFICATE must be 32 hex characters"
JWT_SECRET=${JWT_SECRET:-$(rand_hex 32)}
[ "${#JWT_SECRET}" -ge 32 ] || die "JWT_SECRET must be at least 32 bytes"
SERVICE_TOKEN=${SERVICE_TOKEN:-$(rand_hex 24)}

DATA_DIR=${DATA_DIR:-./data/devnet}
data_abs=$(realpath -m -- "$DATA_DIR")
case "$ROOT/" in "$data_abs"/*) die "DATA_DIR=$DATA_DIR contains this repository; refusing to wipe it" ;; esac
[ "$data_abs" != "/" ] && [ "$data_abs" != "$(realpath -m -- "${HOME:-/}")" ] || die "DATA_DIR=$DATA_DIR is not a data folder; refusing to wipe it"
say "wipe DATA_DIR $DATA_DIR (the devnet chain is new on every run)"
rm -rf -- "$data_abs"
mkdir -p -- "$data_abs"

# ------------------------------------------------------------------ 1. npm tools (as test.sh)

stamp=tools/node_modules/.installed-lock.sha256
want=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "npm ci (tools/)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tools/ failed"
  echo "$want" > "$stamp"
fi
[ -x "$ANVIL" ] && [ -x "$CAST" ] || die "anvil/cast not found under $TOOLS_BIN (the pinned binaries are linux-x64 only)"
ORACLE_ADDRESS=$("$CAST" wallet address --private-key "$ORACLE_KEY")
HOST_ADDRESS=$("$CAST" wallet address --private-key "$HOST_KEY")
GUEST_ADDRESS=$("$CAST" wallet address --private-key "$GUEST_KEY")
TREASURY_ADDRESS=$("$CAST" wallet address --private-key "$TREASURY_KEY")

# ------------------------------------------------------------------ 2. contracts + API build

say "compile contracts -> artifacts/contracts"
node tools/compile-contracts.js artifacts/contracts >/dev/null || die "contract compilation failed"
BYTECODE=$(json 'j.bytecode' < artifacts/contracts/SessionEscrowV1.json) || die "no bytecode in artifacts/contracts/SessionEscrowV1.json"

if [ "$NATIVE" = 1 ]; then
  # Ahead-of-time compiled standalone host (no JIT, a third of the memory): about a minute to build.
  say "dotnet publish src/SessionVoice.Api (native, ahead of time) -> artifacts/native"
  dotnet publish src/SessionVoice.Api -c Release -r linux-x64 -p:PublishAot=true -o artifacts/native --nologo --verbosity quiet \
    || die "native publish failed (see the errors above; it needs gcc or clang)"
else
  say "dotnet build src/SessionVoice.Api (Release)"
  dotnet build src/SessionVoice.Api -c Release --nologo --verbosity quiet || die "dotnet build failed (see the errors above)"
fi

# ------------------------------------------------------------------ 3. anvil

mkdir -p artifacts/devnet
ANVIL_LOG="$ROOT/artifacts/devnet/anvil.log"
say "start anvil on $RPC_URL (chain $CHAIN_ID, log: artifacts/devnet/anvil.log)"
spawn "$ANVIL" --host 127.0.0.1 --port "$ANVIL_PORT" --chain-id "$CHAIN_ID" --block-time 1 >"$ANVIL_LOG" 2>&1
ANVIL_PID=$!

rpc_chain_id() {
  curl -s --max-time 2 -X POST "$RPC_URL" -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' | json 'j.result' 2>/dev/null
}
answer=""
for ((i = 0; i < 150; i++)); do
  kill -0 "$ANVIL_PID" 2>/dev/null || { tail -n 5 "$ANVIL_LOG" >&2; ANVIL_PID=""; die "anvil exited at startup (port $ANVIL_PORT taken?)"; }
  answer=$(rpc_chain_id) && break
  sleep 0.1
done
[ -n "$answer" ] || die "anvil did not answer eth_chainId on $RPC_URL within 15 s"
[ "$((answer))" = "$CHAIN_ID" ] || die "$RPC_URL reports chain $((answer)), expected $CHAIN_ID (is another node on port $ANVIL_PORT?)"

# ------------------------------------------------------------------ 4. deploy SessionEscrowV1

# cast_send KEY ARGS...: sends a transaction, waits for the receipt, prints it (JSON); fails unless status is 1.
cast_send() {
  local key=$1 out
  shift
  out=$("$CAST" send --rpc-url "$RPC_URL" --private-key "$key" --json "$@" 2>&1) || { echo "$out" >&2; return 1; }
  [ "$(json 'j.status' <<<"$out")" = "0x1" ] || { echo "$out" >&2; return 1; }
  printf '%s\n' "$out"
}

say "deploy SessionEscrowV1 (oracle = anvil #1 $ORACLE_ADDRESS, treasury = anvil #5 $TREASURY_ADDRESS)"
ctor_args=$("$CAST" abi-encode "constructor(address,address,uint16,uint48,uint256,uint16,uint48,uint48)" \
  "$ORACLE_ADDRESS" "$TREASURY_ADDRESS" "$ESCROW_FEE_BPS" "$ESCROW_CHALLENGE_WINDOW" "$ESCROW_CHALLENGE_BOND_WEI" \
  "$ESCROW_LATE_CANCEL_PENALTY_BPS" "$ESCROW_NO_ATTEST_BUFFER" "$ESCROW_DISPUTE_TIMEOUT")
receipt=$(cast_send "$DEPLOYER_KEY" --create "${BYTECODE}${ctor_args#0x}") || die "deploying SessionEscrowV1 failed"
ESCROW_ADDRESS=$("$CAST" to-check-sum-address "$(json 'j.contractAddress' <<<"$receipt")") || die "no contractAddress in the deployment receipt"
echo "   escrow $ESCROW_ADDRESS"

# ------------------------------------------------------------------ 5. demo booking

start_time=$(( $(date +%s) + SLOT_START_IN ))
slot_args=("$start_time" "$SLOT_DURATION_MINS" "$SLOT_GRACE_MINS" "$SLOT_MIN_OVERLAP_MINS" "$SLOT_CANCEL_CUTOFF_MINS")
create_sig="createSlot(uint48,uint32,uint32,uint32,uint32)"

say "demo booking: host anvil #2 creates a slot, guest anvil #3 books it for 0.01 ether"
# createSlot prices the slot at the host's base price, which the host sets first.
cast_send "$HOST_KEY" "$ESCROW_ADDRESS" "setHostBasePrice(uint256)" "$SLOT_PRICE_WEI" >/dev/null || die "setHostBasePrice failed"
# The id createSlot returns, read by simulating the call first (1 on a fresh chain).
slot_id=$("$CAST" call --rpc-url "$RPC_URL" --from "$HOST_ADDRESS" "$ESCROW_ADDRESS" "${create_sig}(uint256)" "${slot_args[@]}") \
  || die "createSlot would fail"
cast_send "$HOST_KEY" "$ESCROW_ADDRESS" "$create_sig" "${slot_args[@]}" >/dev/null || die "createSlot failed"
receipt=$(cast_send "$GUEST_KEY" "$ESCROW_ADDRESS" "book(uint256)" "$slot_id" --value "$SLOT_PRICE_WEI") || die "book($slot_id) failed"

# The booking id is the first indexed topic of SessionBooked(bookingId, slotId, guest, amount).
booked_topic=$("$CAST" keccak "SessionBooked(uint256,uint256,address,uint256)")
booking_hex=$(json "j.logs.find(l => l.topics[0] === '$booked_topic').topics[1]" <<<"$receipt") \
  || die "no SessionBooked event in the book() receipt"
BOOKING_ID=$("$CAST" to-dec "$booking_hex")

# Confirm on chain: getBooking(id) -> (slotId, guest, amount, status = 1 Booked, ...).
booking=$("$CAST" call --rpc-url "$RPC_URL" "$ESCROW_ADDRESS" \
  "getBooking(uint256)(uint256,address,uint256,uint8,uint8,bytes32,uint48,uint48,address,uint256,uint48)" "$BOOKING_ID") \
  || die "getBooking($BOOKING_ID) failed"
mapfile -t b <<<"$booking"
[ "${b[0]%% *}" = "$slot_id" ] && [ "${b[1],,}" = "${GUEST_ADDRESS,,}" ] && [ "${b[3]}" = "1" ] \
  || die "getBooking($BOOKING_ID) does not show the demo booking: $(echo "$booking" | tr '\n' ' ')"
echo "   slot $slot_id, booking $BOOKING_ID, starts $(date -d "@$start_time" '+%H:%M:%S'), joinable until $(date -d "@$((start_time + SLOT_DURATION_MINS * 60))" '+%H:%M:%S')"

# ------------------------------------------------------------------ 6. the service


export AGORA_APP_ID AGORA_APP_CERTIFICATE JWT_SECRET SERVICE_TOKEN
export ORACLE_PRIVATE_KEY=$ORACLE_KEY   # anvil account #1: a public development key
export RPC_URL ESCROW_ADDRESS CHAIN_ID PORT
export ESCROW_START_BLOCK=0
export DATA_DIR=$data_abs
export BIND_ADDRESS=127.0.0.1
unset ASPNETCORE_URLS urls   # would override BIND_ADDRESS/PORT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A 4 MiB gen0 budget, as in the image (Dockerfile): less resident memory at the same throughput. Hex
# digits without 0x: the native runtime ignores a prefixed value (the native build has this one built in).
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-400000}

# ASP.NET Core logs every request at Information; keep the framework at Warning (the service's own
# logs stay at Information) unless you configure it yourself.
log_env=()
printenv 'Logging__LogLevel__Microsoft.AspNetCore' >/dev/null || log_env+=('Logging__LogLevel__Microsoft.AspNetCore=Warning')

say "start session-voice on $API"
if [ "$NATIVE" = 1 ]; then
  spawn env "${log_env[@]}" artifacts/native/SessionVoice.Api
else
  spawn env "${log_env[@]}" dotnet run --project src/SessionVoice.Api -c Release --no-launch-profile --no-build
fi
SERVICE_PID=$!

for ((i = 0; ; i++)); do
  if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
    status=0
    wait "$SERVICE_PID" || status=$?
    SERVICE_PID=""
    die "session-voice exited at startup (status $status; see its output above)"
  fi
  curl -fs --max-time 2 "$API/health" >/dev/null && break
  [ "$i" -lt 600 ] || die "session-voice did not answer GET /health on $API within 60 s"
  sleep 0.1
done

# ------------------------------------------------------------------ 7. walkthrough

cat <<EOF

================================================================================
Session Voice is running on $API  (Ctrl-C stops it and anvil)
  devnet   $RPC_URL, chain $CHAIN_ID, escrow $ESCROW_ADDRESS
  booking  $BOOKING_ID: host $HOST_ADDRESS (anvil #2), guest $GUEST_ADDRESS (anvil #3)
  oracle   anvil #1 $ORACLE_ADDRESS; ORACLE_PRIVATE_KEY is anvil's public development key
  SERVICE_TOKEN=$SERVICE_TOKEN   (header X-Service-Token for POST /session/<id>/attest)
  DATA_DIR $DATA_DIR (wiped on every run)
EOF
[ -z "$agora_note" ] || echo "  note     $agora_note"
cat <<EOF

Try it (bash, in another terminal) - sign in as the host, join, read the stats:

CAST=$CAST
MSG="heaven-session:\$(date +%s)"
SIG=\$("\$CAST" wallet sign --private-key $HOST_KEY "\$MSG")
AUTH=\$(curl -s -X POST $API/auth -H 'content-type: application/json' -d '{"wallet":"$HOST_ADDRESS","message":"'"\$MSG"'","signature":"'"\$SIG"'"}'); echo "\$AUTH"
TOKEN=\$(printf '%s' "\$AUTH" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
curl -s -X POST $API/session/join -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' -d '{"booking_id":"$BOOKING_ID"}'; echo
curl -s $API/session/$BOOKING_ID/stats -H "authorization: Bearer \$TOKEN"; echo

As the guest: the same with --private-key $GUEST_KEY and wallet $GUEST_ADDRESS.
A signed message is accepted once and for 5 minutes: make a new MSG for each sign-in.
EOF

# What the service will do with the demo booking, and when (docs/escrow-and-attestation.md, "The
# decision"): settle 30 s and margin 120 s, each capped at a quarter of the duration.
d=$((SLOT_DURATION_MINS * 60))
settle=$(( 30 < d / 4 ? 30 : d / 4 )); margin=$(( 120 < d / 4 ? 120 : d / 4 ))
grace_end=$((start_time + SLOT_GRACE_MINS * 60))
at() { date -d "@$1" '+%H:%M:%S'; }
cat <<EOF

What happens next - nobody has to call /attest; the service attests as the escrow's oracle:
  $(at "$start_time")  the session starts (joins are accepted from 5 minutes before)
  $(at "$((grace_end + settle))")  only the host joined before $(at "$grace_end") (the grace end): guest no-show;
            only the guest joined: host no-show
  $(at "$((start_time + SLOT_MIN_OVERLAP_MINS * 60 + settle))")  earliest completion: both in the channel together for $SLOT_MIN_OVERLAP_MINS minutes
  $(at "$((grace_end + d - margin))")  nobody came: host no-show (the guest is refunded)
Each is sent within a second of its time, mined at the next block (1 s) and final 3 blocks later.
Watch it:
  curl -s $API/session/$BOOKING_ID/stats -H "authorization: Bearer \$TOKEN"   # decision, attestation
  "\$CAST" call --rpc-url $RPC_URL $ESCROW_ADDRESS 'getBooking(uint256)(uint256,address,uint256,uint8,uint8,bytes32,uint48,uint48,address,uint256,uint48)' $BOOKING_ID
  # 4th value: 1 booked, 3 attested; 5th: the outcome, 1 completed, 2 host no-show, 3 guest no-show
================================================================================

EOF

status=0
wait "$SERVICE_PID" || status=$?
SERVICE_PID=""
[ "$status" -eq 0 ] || die "session-voice exited with status $status"
say "session-voice exited"
