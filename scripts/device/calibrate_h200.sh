#!/usr/bin/env bash
# One call on a lent GPU machine (the workplace's `device` tool): measure the GPU with mlsim-probe
# (quick sweep, then the exact GEMM shapes of the Hopper validation points) and cross-check through
# PyTorch. Raw results go to $OUT; `mlsim calibrate --import` fits them here, without a GPU.
# The probe is carried prebuilt (build/release/calibrate/mlsim-probe); if it does not run there it
# is rebuilt with nvcc. Nothing on the card is changed (clocks, power limit, modes): measured as found.
set -u
OUT=${OUT:-/tmp/mlsim_device_out}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start )) s] $*"; }

stamp "GPU as found"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit,power.draw,temperature.gpu \
  --format=csv | tee "$OUT/gpu_before.csv"

PROBE=build/release/calibrate/mlsim-probe
if ldd "$PROBE" 2>/dev/null | grep -q "not found"; then
  for lib in libcudart.so.13 libcublasLt.so.13 libnccl.so.2; do
    dir=$(find /usr /opt -name "$lib" 2>/dev/null | head -1)
    [ -n "$dir" ] && export LD_LIBRARY_PATH="$(dirname "$dir")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
fi
if ! "$PROBE" --version; then
  stamp "carried probe does not run: building it with nvcc"
  nccl_inc=$(dirname "$(find /usr /opt -name nccl.h 2>/dev/null | head -1)")
  nccl_lib=$(dirname "$(find /usr /opt -name 'libnccl.so*' 2>/dev/null | head -1)")
  nvcc -std=c++20 -O2 -gencode arch=compute_90,code=sm_90 -DMLSIM_PROBE_VERSION=\"device\" \
    -DMLSIM_PROBE_HAVE_NCCL=1 -Icalibrate -I"$nccl_inc" \
    calibrate/{backend,json_writer,probe,sha256,sweeps,timing}.cpp calibrate/probe_main.cpp \
    calibrate/cuda_{backend,common,gemm,nccl}.cu -L"$nccl_lib" -lcublasLt -lnccl -o /tmp/mlsim-probe \
    && PROBE=/tmp/mlsim-probe && export LD_LIBRARY_PATH="$nccl_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  "$PROBE" --version || { stamp "no probe"; }
fi

stamp "probe --quick"
timeout "${QUICK_S:-230}" "$PROBE" --quick --max-seconds "$(( ${QUICK_S:-230} - 40 ))" --force -o "$OUT/h200_quick.json" 2> "$OUT/quick.log"
echo "rc=$?"; tail -5 "$OUT/quick.log"

stamp "probe --shapes calibrate/shapes/hopper_serving.txt"
timeout "${SHAPES_S:-250}" "$PROBE" --shapes calibrate/shapes/hopper_serving.txt --soak-seconds 5 --max-seconds "$(( ${SHAPES_S:-250} - 30 ))" --force \
  -o "$OUT/h200_shapes.json" 2> "$OUT/shapes.log"
echo "rc=$?"; tail -5 "$OUT/shapes.log"

if [ -z "${SKIP_TORCH:-}" ]; then
stamp "PyTorch cross-checks"
PYTHONUNBUFFERED=1 timeout 100 python3 scripts/device/torch_crosscheck.py "$OUT/torch_checks.json" > "$OUT/torch.log" 2>&1
echo "rc=$?"; grep -o '"name": "[^"]*".*"\(tflops\|gbs\)": [0-9.]*' "$OUT/torch.log" | sed 's/, "min_ms.*"\(tflops\|gbs\)"/ \1/' | head -40
fi

stamp "GPU after"
nvidia-smi --query-gpu=clocks.sm,clocks.mem,power.draw,temperature.gpu --format=csv | tee "$OUT/gpu_after.csv"
stamp done
