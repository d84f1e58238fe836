#!/usr/bin/env bash
# Runs every test project against the real tools (anvil, cast, solc-js, agora-token).
# Installs what it needs first: the npm tools in tools/ (npm ci) and the NuGet packages.
# Ends with one line: "N passed, N failed, N skipped" summed over all test projects.
set -euo pipefail
cd "$(dirname "$0")"

results="${TEST_RESULTS_DIR:-$PWD/artifacts/test-results}"

stamp=tools/node_modules/.installed-lock.sha256
want=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== npm ci (tools/)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi

echo "== dotnet restore + build"
dotnet restore SessionVoice.slnx --verbosity quiet
dotnet build SessionVoice.slnx --no-restore --verbosity quiet --nologo

echo "== dotnet test"
rm -rf "$results"
set +e
dotnet test --solution SessionVoice.slnx --no-build --results-directory "$results" --report-xunit-ctrf "$@"
test_status=$?
set -e

node tools/summarize-results.js "$results" || exit 1
exit "$test_status"
