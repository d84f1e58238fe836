#!/usr/bin/env bash
# Webhook ingestion on loopback: starts the service (mock escrow, a fresh data folder, webhooks on),
# sends signed NCS notices (each new, so each is verified and persisted) and prints events/s and p99.
# Bounded: REQUESTS (default 20000) at CONNECTIONS (default 16). 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-20000}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-3399}
data=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$data"' EXIT
dotnet build -c Release src/SessionVoice.Api --nologo -v q >/dev/null
dotnet build -c Release bench/SessionVoice.LoadTest --nologo -v q >/dev/null
HOST=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
GUEST=0x90F79bf6EB2c4f870365E785982E1f101E93b906
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
AGORA_APP_ID=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \
AGORA_APP_CERTIFICATE=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \
JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
MOCK_ESCROW=1 MOCK_HOST=$HOST MOCK_GUEST=$GUEST AGORA_WEBHOOK_SECRET=$SECRET \
DATA_DIR=$data BIND_ADDRESS=127.0.0.1 PORT=$PORT Logging__LogLevel__Default=Warning \
  dotnet src/SessionVoice.Api/bin/Release/net10.0/SessionVoice.Api.dll &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
# The host's uid: the last four bytes of the address (0xFA4293BC).
dotnet bench/SessionVoice.LoadTest/bin/Release/net10.0/SessionVoice.LoadTest.dll "http://127.0.0.1:$PORT" "$SECRET" heaven-6343-1 $((0xFA4293BC)) "$REQUESTS" "$CONNECTIONS"
