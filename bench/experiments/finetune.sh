#!/usr/bin/env bash
# SGG in the setting it is meant for (METHODS.md §5.3, scaled down): pre-train on a source text, fine-tune on a small,
# different target text, and measure the target's val loss and how much of the source is kept (source val loss after
# fine-tuning). Methods: AdamW + clip, SGG-B with the source text as its guidance stream, and SGG with alpha 0
# (conflict projection and adaptive clip only). lr grid on seed 0, then seeds 1 and 2 at the best lr. See README.md.
#
# Usage: bench/experiments/finetune.sh        Environment: OUT (/tmp/engine-finetune), DATA (tinyshakespeare),
#        PRE_STEPS (1500), STEPS (300), METHODS, NICE (19)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
OUT="${OUT:-/tmp/engine-finetune}"
DATA="${DATA:-/work/shared/data/tinyshakespeare.txt}"
PRE_STEPS="${PRE_STEPS:-1500}"
STEPS="${STEPS:-300}"
NICE="${NICE:-19}"
METHODS="${METHODS:-adamw_clip sgg sgg_alpha0}"
LRS=(1e-4 3e-4 1e-3)
engine_dll="$repo/src/Cli/bin/Release/net10.0/engine.dll"
[[ -f "$engine_dll" ]] || (cd "$repo" && dotnet build Engine.sln -c Release)
engine() { nice -n "$NICE" dotnet "$engine_dll" "$@"; }
mkdir -p "$OUT"

# Source: the first half of the file. Target: its last 40,000 bytes (other plays, other characters); the trainer's split
# keeps the target's last 10% for validation, so 300 steps of 12 x 64 tokens pass over its training part several times.
size=$(stat -c %s "$DATA")
head -c $(( size / 2 )) "$DATA" > "$OUT/source.txt"
tail -c 40000 "$DATA" > "$OUT/target.txt"

# Byte-level BPE, so the target's text is always encodable with the source's tokenizer.
if [[ ! -f "$OUT/pre/latest.json" ]]; then
  rm -rf "$OUT/pre"
  engine train --preset tiny --tokenizer bpe --data "$OUT/source.txt" --max-iters "$PRE_STEPS" --lr-decay-iters "$PRE_STEPS" \
    --lr 4e-3 --min-lr 4e-4 --eval-interval "$PRE_STEPS" --checkpoint-interval "$PRE_STEPS" --out-dir "$OUT/pre" > "$OUT/pre.log" 2>&1
fi
pre_source=$(engine eval --checkpoint "$OUT/pre" --data "$OUT/source.txt" | sed -n 's/^val loss \([0-9.]*\).*/\1/p')
pre_target=$(engine eval --checkpoint "$OUT/pre" --data "$OUT/target.txt" | sed -n 's/^val loss \([0-9.]*\).*/\1/p')
echo "pre-trained: source val loss $pre_source, target val loss $pre_target (before fine-tuning)"

declare -A extra=(
  [adamw_clip]="--optim adamw --grad-clip 1"
  [sgg]="--optim sgg --source $OUT/source.txt"
  [sgg_alpha0]="--optim sgg --source $OUT/source.txt --sgg-alpha 0"
)

# run METHOD LR SEED: fine-tunes, then prints "METHOD LR SEED target_val source_val".
run() {
  local dir="$OUT/$1-lr$2-s$3"
  if [[ ! -f "$dir/result" ]]; then
    rm -rf "$dir"
    # shellcheck disable=SC2086  # extra holds several flags
    engine train --preset tiny --tokenizer bpe --init-from "$OUT/pre" --data "$OUT/target.txt" --seed "$3" \
      --max-iters "$STEPS" --lr-decay-iters "$STEPS" --warmup-iters $(( STEPS / 10 )) --lr "$2" \
      --min-lr "$(python3 -c "print($2/10)")" --eval-interval $(( STEPS / 6 )) --checkpoint-interval "$STEPS" \
      --out-dir "$dir" ${extra[$1]} > "$dir.log" 2>&1
    local target source
    target=$(engine eval --checkpoint "$dir" --data "$OUT/target.txt" | sed -n 's/^val loss \([0-9.]*\).*/\1/p')
    source=$(engine eval --checkpoint "$dir" --data "$OUT/source.txt" | sed -n 's/^val loss \([0-9.]*\).*/\1/p')
    rm -f "$dir"/step-*.safetensors
    echo "$1 $2 $3 $target $source" > "$dir/result"
  fi
  cat "$dir/result"
}

# The grid is widened by a factor of 3 beyond whichever edge holds the best lr, until the optimum is inside it.
declare -A best
for method in $METHODS; do
  grid=("${LRS[@]}")
  for (( extension = 0; extension < 4; extension++ )); do
    results=()
    for lr in "${grid[@]}"; do results+=("$(run "$method" "$lr" 0)"); done
    best[$method]=$(printf '%s\n' "${results[@]}" | sort -k4 -g | head -n 1 | cut -d' ' -f2)
    if [[ "${best[$method]}" == "${grid[0]}" ]]; then grid=("$(python3 -c "print(f'{${grid[0]}/3:.0e}')")" "${grid[@]}")
    elif [[ "${best[$method]}" == "${grid[-1]}" ]]; then grid+=("$(python3 -c "print(f'{${grid[-1]}*3:.0e}')")")
    else break; fi
  done
  # Then a factor of √3 either side of the best: a 3x grid alone could leave a method 0.005 from its optimum.
  for factor in 0.57735 1.73205; do
    results+=("$(run "$method" "$(python3 -c "print(f'{${best[$method]}*$factor:.2e}')")" 0)")
  done
  best[$method]=$(printf '%s\n' "${results[@]}" | sort -k4 -g | head -n 1 | cut -d' ' -f2)
  printf '%s\n' "${results[@]}" | sort -k2 -g
  echo "== $method: best lr on seed 0 (target val loss) = ${best[$method]}"
done
groups=()
for method in $METHODS; do
  runs=()
  for seed in 0 1 2; do run "$method" "${best[$method]}" "$seed" > /dev/null; runs+=("$OUT/$method-lr${best[$method]}-s$seed"); done
  groups+=("$method=$(IFS=,; echo "${runs[*]}")")
done

echo "| method | best lr | target val loss (mean ± std, 3 seeds) | source val loss after (mean ± std) |"
echo "|---|---|---|---|"
for method in $METHODS; do
  cat "$OUT/$method-lr${best[$method]}"-s{0,1,2}/result | python3 -c "
import sys, statistics as st
rows = [l.split() for l in sys.stdin]
t = [float(r[3]) for r in rows]; s = [float(r[4]) for r in rows]
print(f'| $method | ${best[$method]} | {st.fmean(t):.4f} ± {st.stdev(t):.4f} | {st.fmean(s):.4f} ± {st.stdev(s):.4f} |')"
done
engine compare "${groups[@]}" --format markdown --svg "$here/finetune_val_loss.svg"
