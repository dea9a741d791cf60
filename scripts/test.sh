#!/usr/bin/env bash
# The test command: set-up (idempotent), a Release build of the whole solution, then every test
# project. Ends with one line "tests: N passed, N failed, N skipped". CI (.ci/run) calls exactly this.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The shared test media beside the checkout (../shared/media); tests read it in place.
if [ -z "${CAPTURE_MEDIA:-}" ] && [ -d "$root/../shared/media" ]; then
  export CAPTURE_MEDIA="$(cd "$root/../shared/media" && pwd)"
fi
echo "[test] building Capture.sln (Release)"
dotnet build Capture.sln -c Release -nologo -v:q -clp:ErrorsOnly || { echo "[test] build failed"; exit 1; }

log="$(mktemp)"
status=0
# Test assemblies run one after another: the machine has 2 cores, and several suites start real
# processes (ffmpeg, node, chromium) that would otherwise fight for them.
for proj in tests/*.Tests/*.Tests.csproj; do
  echo "[test] $(basename "$proj" .csproj)"
  out="$(mktemp)"
  dotnet test "$proj" -c Release --no-build -nologo -v:q --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$out"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # A suite that printed no summary did not run (e.g. its assembly is missing): that is a failure too.
  grep -Eq 'Failed: +[0-9]+, Passed: +[0-9]+' "$out" || { echo "[test] $(basename "$proj" .csproj) ran no tests"; status=1; }
  cat "$out" >> "$log"; rm -f "$out"
done

read -r passed failed skipped < <(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
