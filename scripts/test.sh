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
# The suites that talk to the servers. Before each: are the servers this script started still up? A
# server found down (or not answering) is named, its log's last lines printed (the reason it stopped),
# and the servers are restarted, so one server's death shows as itself and not as a run of timed-out tests.
services_check() { # suite
  [ -n "$services_pid" ] || return 0
  bash scripts/services.sh status >/dev/null 2>&1 && return 0
  echo "[test] before $1: a server this run started is down:"
  bash scripts/services.sh status || true
  bash scripts/services.sh logs || true
  echo "[test] restarting the servers"
  bash scripts/services.sh restart || { echo "[test] they did not start again"; return 1; }
}
rm -f "$services_log"

log="$(mktemp)"
status=0
# Test assemblies run one after another: the machine has 2 cores, and several suites start real
# processes (ffmpeg, node, chromium) that would otherwise fight for them.
for proj in tests/*.Tests/*.Tests.csproj; do
  suite="$(basename "$proj" .csproj)"
  echo "[test] $suite"
  uses_services=0; case "$suite" in *.Distributed.*) uses_services=1;; esac
  [ $uses_services -eq 0 ] || services_check "$suite" || status=1
  out="$(mktemp)"
  dotnet test "$proj" -c Release --no-build -nologo -v:q --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$out"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    status=1
    # A failed suite that uses the servers: say how they stand and what their logs end with.
    if [ $uses_services -eq 1 ] && [ -n "$services_pid" ]; then
      echo "[test] $suite failed; the servers now:"
      bash scripts/services.sh status || bash scripts/services.sh logs || true
    fi
  fi
  # A suite that printed no summary did not run (e.g. its assembly is missing): that is a failure too.
  grep -Eq 'Failed: +[0-9]+, Passed: +[0-9]+' "$out" || { echo "[test] $suite ran no tests"; status=1; }
  cat "$out" >> "$log"; rm -f "$out"
done

read -r passed failed skipped < <(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
