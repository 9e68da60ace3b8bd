#!/usr/bin/env bash
# METHODS §0's stability metrics for each method of the first study at its best lr (README.md in this folder):
# 3 seeds, config T, STEPS steps, the same schedule as run.sh; then `engine compare` of GV (the last 200 steps and the
# whole run), DA and the val-loss EMA against AdamW + clip. METHODS §1(c) cites CGFM's claim of ~26 % less GV.
#
# With INITS, each method runs from each init scheme (METHODS §5.2: normal, xavier, he, trunc), at the same lr.
#
# Usage: bench/experiments/stability.sh      Environment: STEPS (600), OUT (/tmp/engine-stability), DATA, NICE (19),
#        METHODS (a subset of the list below), INITS ("normal"), ENGINE_DLL (a copy of the build to run)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
STEPS="${STEPS:-600}"
OUT="${OUT:-/tmp/engine-stability}"
DATA="${DATA:-/work/shared/data/tinyshakespeare.txt}"
NICE="${NICE:-19}"
engine_dll="${ENGINE_DLL:-$repo/src/Cli/bin/Release/net10.0/engine.dll}"
read -ra inits <<< "${INITS:-normal}"
[[ -f "$engine_dll" ]] || (cd "$repo" && dotnet build Engine.sln -c Release)
mkdir -p "$OUT"
source_txt="$OUT/sgg-source.txt"
head -c 111539 "$DATA" > "$source_txt"   # as run.sh: the first 10 % of the file (see README.md)

# method -> "lr flag|best lr of the first study|flags"
declare -A spec=(
  [adamw_clip]="--lr|0.008|--optim adamw --grad-clip 1"
  [adamw]="--lr|0.004|--optim adamw --grad-clip 0"
  [cgfm_r]="--lr|0.004|--optim cgfm --cgfm-step r"
  [cgfm_one]="--lr|0.004|--optim cgfm --cgfm-step one"
  [sgg]="--lr|0.001|--optim sgg --source $source_txt"
  [spectral]="--lr|0.004|--optim spectral"
  [muon]="--muon-lr|0.02|--optim muon"
)
read -ra order <<< "${METHODS:-adamw_clip adamw cgfm_r cgfm_one sgg spectral muon}"

for init in "${inits[@]}"; do
groups=()
for method in "${order[@]}"; do
  IFS='|' read -r flag lr extra <<< "${spec[$method]}"
  lr_flags=("$flag" "$lr")
  [[ "$flag" == "--lr" ]] && lr_flags+=(--min-lr "$(python3 -c "print($lr/10)")")
  dirs=()
  for seed in 0 1 2; do
    # The default init keeps the first study's folder names.
    dir="$OUT/$method-s$seed"
    [[ "$init" == normal ]] || dir="$OUT/$method-$init-s$seed"
    dirs+=("$dir")
    if [[ -f "$dir/metrics.jsonl" ]] && grep -q "\"step\":$STEPS," "$dir/metrics.jsonl"; then continue; fi
    rm -rf "$dir"
    # shellcheck disable=SC2086
    nice -n "$NICE" dotnet "$engine_dll" train --preset tiny --data "$DATA" --seed "$seed" --max-iters "$STEPS" \
      --warmup-iters $((STEPS / 10)) --lr-decay-iters "$STEPS" --eval-interval $((STEPS / 4)) --log-interval 10 \
      --checkpoint-interval "$STEPS" --init "$init" --out-dir "$dir" "${lr_flags[@]}" $extra > "$dir.log" 2>&1
    rm -f "$dir"/step-*.safetensors
    echo "$method $init seed $seed: $(tail -n 3 "$dir.log" | grep '^done' || tail -n 1 "$dir.log")"
  done
  groups+=("$method=$(IFS=,; echo "${dirs[*]}")")
done

for metric in gv_window gv_run da_window da_run val_loss_ema; do
  echo "## init $init: $metric"
  dotnet "$engine_dll" compare "${groups[@]}" --metric "$metric" --format markdown
done
done
