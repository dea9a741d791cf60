#!/usr/bin/env bash
# One idempotent set-up step for Capture. Both README commands (and .ci/run) call it first.
#  - installs the Debian packages the project needs (only those missing);
#  - restores the pinned npm packages of scripts/npm-packages.lock into .cache/npm, checks each
#    tarball's sha512 against the lock, and unpacks it;
#  - is a fast no-op when everything is already present.
# It reaches nothing but the package registries, and nothing in Capture downloads at run time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache"
quiet() { if [ -n "${CAPTURE_SETUP_VERBOSE:-}" ]; then "$@"; else "$@" >/dev/null 2>&1; fi; }
log() { printf '[setup] %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
# ffmpeg/ffprobe: all media I/O. libonnx-testdata: ONNX's own node tests for the inference layer. python3-onnx: the ONNX checker our model-writer tests run.
# chromium + fonts: the web pages and the MediaPipe-JS comparison run in real headless Chromium.
# nodejs/npm are on the image already; they are only checked.
# OpenCvSharp4's libOpenCvSharpExtern.so (stills, JPEG, camera calibration) links the GTK3 stack: these are
# the Debian packages of its direct NEEDED libraries (readelf -d) beyond libc/libstdc++; the rest come with them.
opencv_apt=(libgtk-3-0 libgdk-pixbuf-2.0-0 libcairo2 libcairo-gobject2 libpango-1.0-0 libpangocairo-1.0-0 libatk1.0-0
  libharfbuzz0b libfreetype6 libglib2.0-0 libx11-6 libdrm2 libatomic1)
apt_needed=(ffmpeg libonnx-testdata python3-onnx chromium fonts-dejavu-core "${opencv_apt[@]}")
missing=()
for p in "${apt_needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  quiet $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in ffmpeg ffprobe node npm dotnet; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' is not on PATH after install" >&2; exit 1; }
done

# --- npm packages (tarballs pinned by integrity) ---------------------------------------------
mkdir -p "$cache/npm"
while read -r spec integrity; do
  case "$spec" in ''|'#'*) continue ;; esac
  name="${spec%@*}"; version="${spec##*@}"
  dir="$cache/npm/${name//\//__}"
  stamp="$dir/.restored-$version"
  [ -f "$stamp" ] && continue
  tgz="$cache/npm/$(echo "${name#@}" | tr '/' '-')-$version.tgz"
  if [ ! -f "$tgz" ]; then
    log "restoring $spec from the npm registry"
    (cd "$cache/npm" && npm pack --silent "$spec" >/dev/null 2>&1) || { echo "setup: npm pack $spec failed" >&2; exit 1; }
  fi
  actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "setup: $tgz does not match the pinned integrity (expected $integrity, got $actual); deleted it, run again" >&2
    rm -f "$tgz"; exit 1
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  tar xzf "$tgz" -C "$dir" --strip-components=1
  touch "$stamp"
done < "$root/scripts/npm-packages.lock"

# --- Node test peers, each with its own package-lock.json --------------------------------------
# `npm ci` per folder, skipped while node_modules was installed from the same lock; never downloads a browser.
npm_ci_locked() {
  local dir="$root/$1" stamp sum
  stamp="$root/$1/node_modules/.capture-lock-sha256"
  sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ] && return 0
  log "npm ci --prefix $1"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 quiet npm ci --prefix "$dir" --no-audit --no-fund \
    || { echo "setup: npm ci --prefix $1 failed" >&2; exit 1; }
  echo "$sum" > "$stamp"
}
npm_ci_locked tests/mediapipe-js                           # MediaPipe JS in Chromium (playwright-core): the tracker's reference
npm_ci_locked tests/interop-node                           # @msgpack/msgpack, osc-js, three's BVHLoader: protocol peers we did not write
npm_ci_locked tests/Capture.Inference.Tests/TfLite/TfjsReference   # TensorFlow Lite's own runtime (tfjs-tflite wasm): converter reference
exit 0
