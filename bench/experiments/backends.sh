#!/usr/bin/env bash
# The same training run on several devices: config T on tinyshakespeare for STEPS steps with each optimizer, one
# seed, on each device given; prints one line per (device, optimizer): final train and val loss and the trainer's
# tokens/s. Runs on different devices round differently (reduction order, fused multiply-adds), so the losses agree to
# the noise of a run, not bit for bit.
# Usage: bench/experiments/backends.sh cpu cuda [opencl:1 ...]
#        Environment: DATA (tinyshakespeare), STEPS (300), OPTIMS ("adamw sgd cgfm sgg spectral muon"), OUT (/tmp/engine-backends),
#        DOTNET (dotnet).
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="${DATA:-$repo/../shared/data/tinyshakespeare.txt}"
[[ -f "$DATA" ]] || DATA="$repo/shared/data/tinyshakespeare.txt"
STEPS="${STEPS:-300}"
OPTIMS="${OPTIMS:-adamw sgd cgfm sgg spectral muon}"
OUT="${OUT:-/tmp/engine-backends}"
engine() { ${DOTNET:-dotnet} "$repo/src/Cli/bin/Release/net10.0/engine.dll" "$@"; }
mkdir -p "$OUT"
size=$(wc -c < "$DATA")
head -c $(( size / 2 )) "$DATA" > "$OUT/source.txt"   # SGG's guidance stream: the first half of the corpus
printf '%-10s %-9s %10s %10s %12s\n' device optim train val tokens/s
for device in "$@"; do
  for optim in $OPTIMS; do
    extra=()
    [[ $optim == sgg ]] && extra=(--source "$OUT/source.txt")
    run="$OUT/$device-$optim"
    rm -rf "$run"
    if engine train --preset tiny --data "$DATA" --device "$device" --optim "$optim" "${extra[@]}" --max-iters "$STEPS" \
         --lr-decay-iters "$STEPS" --warmup-iters $(( STEPS / 10 )) --eval-interval "$STEPS" --log-interval 50 --out-dir "$run" > "$run.log" 2>&1; then
      done_line=$(grep '^done:' "$run.log")
      train=$(sed -E 's/.*train loss ([0-9.]+).*/\1/' <<< "$done_line")
      val=$(sed -E 's/.*val loss ([0-9.]+).*/\1/' <<< "$done_line")
      rate=$(grep -Eo '[0-9,]+ tok/s' "$run.log" | tail -1 | tr -d ',' | cut -d' ' -f1)
      printf '%-10s %-9s %10s %10s %12s\n' "$device" "$optim" "$train" "$val" "$rate"
    else
      printf '%-10s %-9s failed: %s\n' "$device" "$optim" "$(tail -1 "$run.log")"
    fi
  done
done
