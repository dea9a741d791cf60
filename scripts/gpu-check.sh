#!/usr/bin/env bash
# The CUDA check, prepared for a session that is lent an NVIDIA GPU machine (see DEVELOPERS.md). That
# machine has CUDA 13 and cuDNN 9 as Python packages (nvidia-cublas, nvidia-cuda-runtime, nvidia-curand,
# nvidia-cudnn-cu13) but no dotnet, no ffmpeg and no ../shared/media, and what travels to it is at most
# 64 MiB a call. So the work is split in two:
#
#   bash scripts/gpu-check.sh pack     # HERE (dotnet, ffmpeg, media): a self-contained `dotnet publish` of
#                                      # tests/Capture.Benchmarks with ORT's CUDA provider beside libonnxruntime.so,
#                                      # the converted models, the prepared inputs (`cuda-parity prepare`),
#                                      # all xz-packed and split into .gpu-check/part-* of 48 MiB (ignored by git)
#   bash scripts/gpu-check.sh run      # ON THE GPU MACHINE, in the repository root, once every part is there:
#                                      # checks and unpacks the parts, puts the nvidia-* packages' lib folders
#                                      # on LD_LIBRARY_PATH, runs `cuda-parity`: tracking outputs and generator
#                                      # frames CUDA vs CPU within the tolerances it prints, then generator
#                                      # frames/s on CUDA at 512² and 1024² (goal ≥ 1000 at 512²).
#
# The CUDA provider alone is 284 MB (188 MB packed), so the parts go over in several device calls while the
# machine stays warm (ignored files already there are kept between calls): each call carries one part
# (`carry: [".gpu-check/part-aa"]`, command `ls -la .gpu-check`), the last one also .gpu-check/SHA256SUMS and
# runs `bash scripts/gpu-check.sh run`. `pack` prints that plan with the real part names.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.gpu-check"
part_size=48M

pack() {
  local stage; stage="$(mktemp -d)"
  trap "rm -rf '$stage'" EXIT
  echo "[gpu-check] publishing tests/Capture.Benchmarks self-contained for linux-x64 with the CUDA provider"
  dotnet publish "$root/tests/Capture.Benchmarks" -c Release -r linux-x64 --self-contained \
    -p:CaptureShipsCudaProvider=true -nologo -v:q -clp:ErrorsOnly -o "$stage/app"
  [ -f "$stage/app/libonnxruntime_providers_cuda.so" ] || { echo "gpu-check: the publish has no libonnxruntime_providers_cuda.so" >&2; exit 1; }
  # The publish's own linux-x64 build output holds another copy of the provider: not kept in the checkout.
  rm -rf "$root/tests/Capture.Benchmarks/bin/Release/net10.0/linux-x64"

  echo "[gpu-check] models (built and verified here) and the prepared inputs"
  mkdir -p "$stage/root/models/build"
  cp "$root/models/manifest.json" "$stage/root/models/"
  cp -L "$root"/models/build/* "$stage/root/models/build/"
  CAPTURE_ROOT="$stage/root" "$stage/app/Capture.Benchmarks" cuda-parity prepare "$stage/inputs"

  echo "[gpu-check] packing (xz) into $part_size parts"
  rm -rf "$dir"; mkdir -p "$dir"
  tar -C "$stage" -cf - app root inputs | xz -3 -T0 | split -b "$part_size" - "$dir/part-"
  (cd "$dir" && sha256sum part-* > SHA256SUMS)
  local parts=("$dir"/part-*) last
  last="$(basename "${parts[-1]}")"
  echo "[gpu-check] ${#parts[@]} parts in $dir ($(du -sh "$dir" | cut -f1)). Device calls, one after another on the same warm machine:"
  for p in "${parts[@]}"; do
    p="$(basename "$p")"
    if [ "$p" = "$last" ]; then
      echo "  run(carry=[\".gpu-check/$p\", \".gpu-check/SHA256SUMS\"], command=\"bash scripts/gpu-check.sh run 2>&1 | tee \$OUT/gpu-check.log\", timeout_s=420)"
    else
      echo "  run(carry=[\".gpu-check/$p\"], command=\"ls -la .gpu-check\", timeout_s=60)"
    fi
  done
}

run() {
  [ -f "$dir/SHA256SUMS" ] || { echo "gpu-check: $dir/SHA256SUMS missing: carry it with the last part (see 'pack')" >&2; exit 1; }
  local missing=()
  while read -r _ name; do [ -f "$dir/$name" ] || missing+=("$name"); done < "$dir/SHA256SUMS"
  if [ ${#missing[@]} -gt 0 ]; then
    echo "gpu-check: parts not here yet: ${missing[*]} (each travels in its own device call; see 'pack')" >&2; exit 1
  fi
  (cd "$dir" && sha256sum -c --quiet SHA256SUMS) || { echo "gpu-check: a part does not match SHA256SUMS" >&2; exit 1; }

  local work=/tmp/capture-gpu-check
  rm -rf "$work"; mkdir -p "$work"
  echo "[gpu-check] unpacking"
  # Python's lzma: the machine may lack the xz program, never Python.
  cat "$dir"/part-* | python3 -c 'import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.stdin.buffer), mode="r|").extractall(sys.argv[1])' "$work"

  # CUDA 13 and cuDNN 9 from the nvidia-* pip packages: every folder under site-packages/nvidia that holds a lib*.so*.
  local libs
  libs="$(python3 - <<'EOF'
import glob, os, site, sys
roots = set(site.getsitepackages() + [site.getusersitepackages()] + [p for p in sys.path if p.endswith("site-packages")])
dirs = sorted({os.path.dirname(f) for r in roots for f in glob.glob(os.path.join(r, "nvidia", "**", "lib*.so*"), recursive=True)})
print(":".join(dirs))
EOF
)"
  [ -n "$libs" ] || { echo "gpu-check: no nvidia-* pip package libraries found under python3's site-packages ($(command -v python3))" >&2; exit 1; }
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "[gpu-check] LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

  export CAPTURE_ROOT="$work/root" DOTNET_CLI_TELEMETRY_OPTOUT=1
  "$work/app/Capture.Benchmarks" cuda-parity "$work/inputs"
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: bash scripts/gpu-check.sh pack | run   (see the comment at the top)" >&2; exit 2 ;;
esac
