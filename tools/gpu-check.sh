#!/usr/bin/env bash
# Runs Engine on a machine with an NVIDIA GPU, from an already-built tree (dotnet build -c Release), and keeps
# everything it prints under $OUT (default /tmp/gpu-check):
#   machine.txt  what the GPU, driver, NVRTC and OpenCL look like;
#   devices.txt  `engine devices`;
#   tests.log    the whole test suite with the cuda backend required (ENGINE_REQUIRE_CUDA=1), and opencl where an ICD is;
#   bench.jsonl  `engine bench --quick` on cuda (training steps of config T, optimizer steps on 10M parameters, the host's µs per launch);
#   profile-*.txt `engine profile` of AdamW, SGG and CGFM steps on cuda (per kernel: time, GB/s);
#   torch.jsonl  the PyTorch anchors of bench/anchors/torch_gpu.py on the same GPU, when python3 has torch.
# DOTNET (default: dotnet on PATH) runs the built assemblies; VSTEST, when set, is the command that runs the test
# assembly (default: dotnet test --no-build). NVRTC is found by name, under CUDA_PATH, or through ENGINE_NVRTC.
# A machine without .NET: build .devicekit with tools/devicekit/build.sh here, carry it with the two bin folders, and
# run `sh .devicekit/setup.sh; . .devicekit/env.sh; DOTNET=$DOTNET_ROOT/dotnet VSTEST="sh .devicekit/vstest.sh" bash tools/gpu-check.sh`.
set -u
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/gpu-check}"
mkdir -p "$out"
dotnet_cmd="${DOTNET:-dotnet}"
engine_dll=src/Cli/bin/Release/net10.0/engine.dll
engine() { $dotnet_cmd $engine_dll "$@"; }

{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  echo "libcuda:  $(ldconfig -p | grep -o '/.*libcuda.so.1' | head -1)"
  echo "nvrtc:    $(ls /usr/local/cuda/lib64/libnvrtc.so* 2>/dev/null | tr '\n' ' ')"
  echo "OpenCL:   loader $(ldconfig -p | grep -c 'libOpenCL.so.1') · ICDs $(ls /etc/OpenCL/vendors 2>/dev/null | tr '\n' ' ')"
} > "$out/machine.txt" 2>&1
cat "$out/machine.txt"

engine devices > "$out/devices.txt" 2>&1
cat "$out/devices.txt"
# The backend tests' "opencl" is the GPU's own OpenCL when the driver offers one (PoCL is what CI tests).
nvidia_cl=$(grep -E '^opencl:[0-9]+\s.*platform NVIDIA' "$out/devices.txt" | cut -f1 | head -1)
[ -n "$nvidia_cl" ] && export ENGINE_TEST_OPENCL="$nvidia_cl" && echo "tests: opencl is $nvidia_cl"

echo "== tests"
start=$SECONDS
if [ -n "${VSTEST:-}" ]; then
  ENGINE_REQUIRE_CUDA=1 timeout 330 $VSTEST tests/Engine.Tests/bin/Release/net10.0/Engine.Tests.dll > "$out/tests.log" 2>&1
else
  ENGINE_REQUIRE_CUDA=1 timeout 330 $dotnet_cmd test tests/Engine.Tests -c Release --no-build \
    --logger "console;verbosity=normal" > "$out/tests.log" 2>&1
fi
echo "tests: exit $? after $((SECONDS - start)) s"
grep -E "^\s+Failed |Total tests|Passed:|Failed:|Skipped:" "$out/tests.log" | head -40

echo "== bench"
timeout 150 $dotnet_cmd $engine_dll bench --quick --device cuda --params 10000000 > "$out/bench.jsonl" 2>&1
echo "bench: exit $?"
for optim in adamw sgg cgfm; do
  timeout 60 $dotnet_cmd $engine_dll profile --device cuda --optim "$optim" --trace "/tmp/trace-$optim.json" > "$out/profile-$optim.txt" 2>&1
  echo "profile $optim: exit $?"
done
if python3 -c 'import torch' 2>/dev/null; then
  timeout 90 python3 bench/anchors/torch_gpu.py > "$out/torch.jsonl" 2>&1
  echo "torch anchors: exit $?"
fi
