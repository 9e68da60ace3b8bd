#!/usr/bin/env bash
# The anchors Engine's kernel figures are compared against, measured on this machine in the same session:
# OpenBLAS sgemm (2 threads; autodetected kernel and the SkylakeX AVX-512 kernel), a C/OpenMP STREAM triad, and
# the AdamW + clip, SGG-B and CGFM-LR optimizer steps written by hand in C/OpenMP (overheads over AdamW, as Engine's bench).
# Prints JSON lines in the bench program's format. Needs gcc and libopenblas-dev (installed with apt-get if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -e /usr/include/x86_64-linux-gnu/cblas.h ] && [ ! -e /usr/include/cblas.h ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq libopenblas-dev >/dev/null
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
gcc -O3 -march=native -o "$out/sgemm" "$here/sgemm.c" -lopenblas
gcc -O3 -march=native -fopenmp -o "$out/triad" "$here/stream_triad.c"
# -fno-math-errno: without it sqrtf stays a scalar libm call and the update is compute-bound.
avx512=false; grep -qw avx512f /proc/cpuinfo && avx512=true   # the optimizer-step anchor is written for AVX-512
$avx512 && gcc -O3 -march=native -mprefer-vector-width=512 -fno-math-errno -fopenmp -o "$out/optim_steps" "$here/optim_steps.c" -lm
for n in 256 1024 2048; do
  OPENBLAS_NUM_THREADS=2 "$out/sgemm" "$n" "openblas-2t-autodetected"
  OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=SkylakeX "$out/sgemm" "$n" "openblas-2t-skylakex"
done
OMP_NUM_THREADS=2 OMP_PROC_BIND=true "$out/triad"
if $avx512; then OMP_NUM_THREADS=2 OMP_PROC_BIND=true "$out/optim_steps"; else echo "optim_steps: skipped (no AVX-512)" >&2; fi
