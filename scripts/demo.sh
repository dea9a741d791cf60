#!/usr/bin/env bash
# The main job on sample inputs: renders a character video into out/sample.mp4. Uses the shared clip and
# Mona Lisa from ../shared/media (or $CAPTURE_MEDIA) when they are there; otherwise the bundled sample in
# samples/ (Capture's recording of that clip and a public-domain Mona Lisa; samples/NOTICE).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/scripts/capture" render --sample "$@"
