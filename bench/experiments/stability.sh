#!/usr/bin/env bash
# METHODS §0's stability metrics for each method of the first study at its best lr (README.md in this folder):
# 3 seeds, config T, STEPS steps, the same schedule as run.sh; then `engine compare` of GV (the last 200 steps and the
# whole run), DA and the val-loss EMA against AdamW + clip. METHODS §1(c) cites CGFM's claim of ~26 % less GV.
#
# With INITS, each method runs from each init scheme (METHODS §5.2: normal, xavier, he, trunc), at the same lr.
#
# METHODS §5.2 also asks for steps-to-target and the val perplexity at several context lengths: EVAL_INTERVAL (STEPS/4)
# and EVAL_ITERS (20) set how often and how many batches the val loss is estimated in training (its EMA gives the
# steps to each value of TARGETS, when set), and CONTEXTS (e.g. "16 32 64", at most the block size: 64, or 256 for the
# *_b256 methods) scores each final checkpoint
# over the whole val split with `engine eval --context` (contexts.py prints the table).
#
# Usage: bench/experiments/stability.sh      Environment: STEPS (600), OUT (/tmp/engine-stability), DATA, NICE (19),
#        METHODS (a subset of the list below), INITS ("normal"), ENGINE_DLL (a copy of the build to run),
#        EVAL_INTERVAL, EVAL_ITERS, TARGETS (e.g. "2.25 2.7"), CONTEXTS
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
STEPS="${STEPS:-600}"
OUT="${OUT:-/tmp/engine-stability}"
DATA="${DATA:-/work/shared/data/tinyshakespeare.txt}"
NICE="${NICE:-19}"
engine_dll="${ENGINE_DLL:-$repo/src/Cli/bin/Release/net10.0/engine.dll}"
read -ra inits <<< "${INITS:-normal}"
EVAL_INTERVAL="${EVAL_INTERVAL:-$((STEPS / 4))}"
EVAL_ITERS="${EVAL_ITERS:-20}"
read -ra targets <<< "${TARGETS:-}"
read -ra contexts <<< "${CONTEXTS:-}"
if [[ -n "${ENGINE_DLL:-}" && ! -f "$ENGINE_DLL" ]]; then echo "stability.sh: ENGINE_DLL $ENGINE_DLL not found" >&2; exit 1; fi
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
  # METHODS §5.2's CGFM grid (run.sh's lr search, twelfth session)
  [cgfm_l]="--lr|0.004|--optim cgfm --cgfm-step l"
  [sgd_clip]="--lr|0.1|--optim sgd --grad-clip 1"
  [sgd]="--lr|0.025|--optim sgd --grad-clip 0"
  [cgfm_sgd_one]="--lr|0.1|--optim cgfm --base-optim sgd --cgfm-step one"
  [cgfm_sgd_r]="--lr|0.05|--optim cgfm --base-optim sgd --cgfm-step r"
  [cgfm_sgd_l]="--lr|0.05|--optim cgfm --base-optim sgd --cgfm-step l"
  [sgd_clip_wd05]="--lr|0.1|--optim sgd --grad-clip 1 --weight-decay 0.05"
  [cgfm_sgd_one_wd05]="--lr|0.1|--optim cgfm --base-optim sgd --cgfm-step one --weight-decay 0.05"
  # Trained on blocks of 256 (run.sh's lr search at that block size), for the val loss at contexts 64-256
  [adamw_clip_b256]="--lr|0.004|--optim adamw --grad-clip 1 --block-size 256"
  [cgfm_r_b256]="--lr|0.002|--optim cgfm --cgfm-step r --block-size 256"
  [muon_b256]="--muon-lr|0.02|--optim muon --block-size 256"
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
    # A finished run is kept when it holds the val loss of exactly the CONTEXTS asked for (its checkpoint is gone, so
    # other contexts mean training it again).
    if [[ -f "$dir/metrics.jsonl" ]] && grep -q "\"step\":$STEPS," "$dir/metrics.jsonl" \
       && { (( ${#contexts[@]} == 0 )) || [[ "$(cut -d' ' -f1 "$dir.contexts" 2>/dev/null | xargs)" == "${contexts[*]}" ]]; }; then continue; fi
    rm -rf "$dir" "$dir.contexts" "$dir.contexts.tmp"
    # shellcheck disable=SC2086
    nice -n "$NICE" dotnet "$engine_dll" train --preset tiny --data "$DATA" --seed "$seed" --max-iters "$STEPS" \
      --warmup-iters $((STEPS / 10)) --lr-decay-iters "$STEPS" --eval-interval "$EVAL_INTERVAL" --eval-iters "$EVAL_ITERS" \
      --log-interval 10 --checkpoint-interval "$STEPS" --init "$init" --out-dir "$dir" "${lr_flags[@]}" $extra > "$dir.log" 2>&1
    for context in "${contexts[@]}"; do
      loss=$(nice -n "$NICE" dotnet "$engine_dll" eval --checkpoint "$dir" --data "$DATA" --context "$context" 2>> "$dir.log" \
             | awk '/^val loss/ { print $3 }') || loss=nan
      echo "$context ${loss:-nan}" >> "$dir.contexts.tmp"
    done
    [[ ! -f "$dir.contexts.tmp" ]] || mv "$dir.contexts.tmp" "$dir.contexts"
    rm -f "$dir"/step-*.safetensors
    echo "$method $init seed $seed: $(tail -n 3 "$dir.log" | grep '^done' || tail -n 1 "$dir.log")"
  done
  groups+=("$method=$(IFS=,; echo "${dirs[*]}")")
done

for metric in gv_window gv_run da_window da_run val_loss_ema; do
  echo "## init $init: $metric"
  dotnet "$engine_dll" compare "${groups[@]}" --metric "$metric" --format markdown
done
for target in "${targets[@]}"; do
  echo "## init $init: steps to val_loss_ema <= $target"
  dotnet "$engine_dll" compare "${groups[@]}" --metric val_loss_ema --target "$target" --format markdown
done
if (( ${#contexts[@]} > 0 )); then
  echo "## init $init: val loss (engine eval, whole val split) by context length"
  python3 "$here/contexts.py" "${groups[@]}"
fi
done
