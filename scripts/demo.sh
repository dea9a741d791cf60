#!/usr/bin/env bash
# The main job on sample inputs: renders a character video from a sample driving clip.
# Uses ../shared/media when it is there; otherwise `capture render` says which inputs to pass.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/scripts/capture" render --sample "$@"
