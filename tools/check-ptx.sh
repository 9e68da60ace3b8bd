#!/usr/bin/env bash
# Compiles the CUDA side of every portable kernel to PTX with clang-14, no CUDA toolkit needed:
#   every src/Kernels/Sources/*.cl, and every *.cu in the directories given as arguments
#   (e.g. kernels the fusion compiler generated), each with src/Kernels/Sources/prelude.cuda.h prepended.
# Prints one line per file; exits 1 if any file fails (its diagnostics follow its line) or clang-14 is missing.
# Usage: tools/check-ptx.sh [extra-dir ...]     (CLANG=... overrides the compiler, PTX_OUT=dir keeps the .ptx files)
set -u

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prelude="$root/src/Kernels/Sources/prelude.cuda.h"
clang="${CLANG:-clang-14}"

if ! command -v "$clang" >/dev/null 2>&1; then
    echo "check-ptx: $clang not found (install clang-14)" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${PTX_OUT:-$work/ptx}"
mkdir -p "$out"

files=()
shopt -s nullglob
for f in "$root"/src/Kernels/Sources/*.cl; do files+=("$f"); done
for dir in "$@"; do
    if [ ! -d "$dir" ]; then
        echo "check-ptx: $dir is not a directory" >&2
        exit 1
    fi
    for f in "$dir"/*.cu; do files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
done

if [ ${#files[@]} -eq 0 ]; then
    echo "check-ptx: no kernel sources found"
    exit 0
fi

failed=0
index=0
for f in "${files[@]}"; do
    index=$((index + 1))
    name="$(basename "$f")"
    name="${name%.*}"
    unit="$work/$index-$name.cu"
    # Including (rather than pasting) the kernel keeps its own file name and line numbers in diagnostics.
    printf '#include "%s"\n#include "%s"\n' "$prelude" "$f" > "$unit"
    if log="$("$clang" -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 \
                -Xclang -target-feature -Xclang +ptx70 -O3 -S -o "$out/$index-$name.ptx" "$unit" 2>&1)"; then
        echo "ok    $f"
    else
        echo "FAIL  $f"
        printf '%s\n' "$log" | sed 's/^/      /'
        failed=1
    fi
done
exit $failed
