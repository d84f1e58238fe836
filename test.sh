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
if ! { dotnet restore SessionVoice.slnx --verbosity quiet && dotnet build SessionVoice.slnx --no-restore --verbosity quiet --nologo; }; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

rm -rf "$results"
test_status=0
projects=(tests/*.Tests/*.Tests.csproj)
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  echo "== dotnet test $name"
  # One results folder per project: report file names carry only a timestamp and would collide.
  dotnet test --project "$project" --no-build --results-directory "$results/$name" --report-xunit-ctrf "$@" || test_status=$?
done

node tools/summarize-results.js "$results" "${#projects[@]}" || exit 1
exit "$test_status"
