#!/usr/bin/env bash
# make test: every test project of the solution, then one totals line, last, as
# `N passed, N failed, N skipped`. Exits non-zero when anything failed or did not run.
set -uo pipefail
cd "$(dirname "$0")/../.."
CONFIGURATION=${CONFIGURATION:-Release}
mkdir -p .platform/test
log=.platform/test/dotnet-test.log

export PLATFORM_TEST_MYSQL=${PLATFORM_TEST_MYSQL:-"Server=127.0.0.1;Port=3306;User ID=platform_test;Password=platform_test"}
export PLATFORM_TEST_RABBITMQ=${PLATFORM_TEST_RABBITMQ:-"rabbit://guest:guest@127.0.0.1:5672/"}
export PLATFORM_TEST_RABBITMQ_MANAGEMENT=${PLATFORM_TEST_RABBITMQ_MANAGEMENT:-"http://guest:guest@127.0.0.1:15672/"}

dotnet build Platform.sln -c "$CONFIGURATION" -nologo -v q -clp:ErrorsOnly || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

projects=$(dotnet sln Platform.sln list | grep -E '\.Tests\.csproj$')
expected=$(echo "$projects" | wc -l)
# Projects run one after another: the fleet tests start a dozen processes, and two cores
# are all a CI machine has.
status=0
: > "$log"
for project in $projects; do
  echo "== $project"
  out=.platform/test/$(basename "$project" .csproj).log
  # A test that hangs is stopped after ten minutes and named, rather than holding the run.
  dotnet test "$project" -c "$CONFIGURATION" --no-build -nologo --blame-hang-timeout 10m --blame-hang-dump-type none > "$out" 2>&1
  code=$?
  cat "$out" >> "$log"
  grep -E '^\s*(Passed!|Failed!)' "$out" || true
  if ((code != 0)); then
    status=1
    # What failed, and why, without the stack frames.
    grep -vE '^\s+at |^\s*$' "$out" | tail -60
  fi
done

passed=0; failed=0; skipped=0; ran=0
while read -r f p s; do
  failed=$((failed + f)); passed=$((passed + p)); skipped=$((skipped + s)); ran=$((ran + 1))
done < <(sed -nE 's/.*(Passed|Failed)! +- Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \3 \4/p' "$log")
if ((ran < expected)); then
  echo "only $ran of $expected test projects reported results"
  failed=$((failed + expected - ran)); status=1
fi
((failed > 0)) && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
