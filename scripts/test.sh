#!/usr/bin/env bash
# The test command: set-up (idempotent), a Release build of the whole solution, then every test
# project. Ends with one line "tests: N passed, N failed, N skipped". CI (.ci/run) calls exactly this.
# The distributed-jobs tests need PostgreSQL and RabbitMQ: this starts private loopback instances
# (scripts/services.sh; installed on first use) while the build runs, and stops them at the end if it
# started them. CAPTURE_TEST_PG/CAPTURE_TEST_AMQP already set → those servers are used instead;
# CAPTURE_NO_SERVICES=1 → none are started and those tests are skipped, each saying why.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The shared test media beside the checkout (../shared/media); tests read it in place.
if [ -z "${CAPTURE_MEDIA:-}" ] && [ -d "$root/../shared/media" ]; then
  export CAPTURE_MEDIA="$(cd "$root/../shared/media" && pwd)"
fi
services_pid=""; services_log="$(mktemp)"
if [ -z "${CAPTURE_NO_SERVICES:-}" ] && { [ -z "${CAPTURE_TEST_PG:-}" ] || [ -z "${CAPTURE_TEST_AMQP:-}" ]; }; then
  if ! bash scripts/services.sh status >/dev/null 2>&1; then
    trap 'bash scripts/services.sh stop >/dev/null 2>&1 || true' EXIT
  fi
  echo "[test] starting PostgreSQL and RabbitMQ (scripts/services.sh) beside the build"
  bash scripts/services.sh start >"$services_log" 2>&1 &
  services_pid=$!
fi

echo "[test] building Capture.sln (Release)"
dotnet build Capture.sln -c Release -nologo -v:q -clp:ErrorsOnly || { echo "[test] build failed"; exit 1; }

if [ -n "$services_pid" ]; then
  wait "$services_pid" || { cat "$services_log"; echo "[test] services did not start (CAPTURE_NO_SERVICES=1 skips the distributed tests)"; exit 1; }
  cat "$services_log"
  eval "$(bash scripts/services.sh env)"
fi
rm -f "$services_log"

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
