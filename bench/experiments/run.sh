#!/usr/bin/env bash
# First comparison of Engine's structured optimizers against AdamW on tinyshakespeare
# (../../shared/METHODS.md §5, scaled down to a 2-core CPU). See README.md in this folder.
#
# Protocol: config T (preset tiny), STEPS optimizer steps, a 3-point lr grid per method on seed 0
# (default x0.5, x1, x2); while the best lies at an edge of the grid, one more point a factor of 2 beyond that
# edge (at most MAX_EXTEND, default 4); then seeds 1 and 2 at the best lr found. "val loss" = `engine eval` of the final
# checkpoint over every token of the val split (the last 10% of the file), which does not depend on
# the seed's batch sampling.
#
# Usage: bench/experiments/run.sh            (from the repository root or anywhere)
# Environment: STEPS (600), OUT (/tmp/engine-experiments), METHODS (space-separated subset),
#              DATA (tinyshakespeare), NICE (19), RESUME (1: keep results.csv and skip every run
#              it already holds with status ok; 0: start a fresh results.csv), MAX_EXTEND (4),
#              SVG (the comparison's curves; val_loss_$STEPS.svg), ENGINE_DLL (a copy of the build to run: building
#              while a study runs from src/Cli/bin would swap the binary under it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
STEPS="${STEPS:-600}"
OUT="${OUT:-/tmp/engine-experiments}"
DATA="${DATA:-/work/shared/data/tinyshakespeare.txt}"
NICE="${NICE:-19}"
RESUME="${RESUME:-1}"
MAX_EXTEND="${MAX_EXTEND:-4}"
METHODS="${METHODS:-adamw adamw_clip cgfm_r cgfm_one sgg spectral muon adamw_b1_095 sgg_alpha0}"
SEEDS_EXTRA=(1 2)
CSV="$here/results.csv"
engine_dll="${ENGINE_DLL:-$repo/src/Cli/bin/Release/net10.0/engine.dll}"
SVG="${SVG:-val_loss_$STEPS.svg}"

if [[ -n "${ENGINE_DLL:-}" && ! -f "$ENGINE_DLL" ]]; then echo "run.sh: ENGINE_DLL $ENGINE_DLL not found" >&2; exit 1; fi
if [[ ! -f "$engine_dll" ]]; then
  (cd "$repo" && dotnet build Engine.sln -c Release)
fi
[[ -f "$DATA" ]] || { echo "run.sh: data file $DATA not found" >&2; exit 1; }
mkdir -p "$OUT"

# SGG's source stream: only tinyshakespeare exists under shared/data, and its held-out part is the
# val split we measure on, so the source is the first 10% of the file (inside the training split;
# SGG then uses the first 90% of that slice). Same text distribution as the target: see README.
source_txt="$OUT/sgg-source.txt"
head -c 111539 "$DATA" > "$source_txt"

warmup=$(( STEPS / 10 ))
eval_interval=$(( STEPS / 4 ))

# method -> "lr flag|default lr|extra flags". Every method but adamw keeps the preset's --grad-clip 1.
declare -A spec=(
  [adamw]="--lr|1e-3|--optim adamw --grad-clip 0"
  [adamw_clip]="--lr|1e-3|--optim adamw --grad-clip 1"
  [cgfm_r]="--lr|1e-3|--optim cgfm --cgfm-step r"
  [cgfm_one]="--lr|1e-3|--optim cgfm --cgfm-step one"
  # METHODS §5.2's λ_local sweep (default 0.5); with λ_local = λ_global = 1, G_adj = G and CGFM-R is AdamW at twice the lr.
  [cgfm_ll0]="--lr|1e-3|--optim cgfm --cgfm-lambda-local 0"
  [cgfm_ll025]="--lr|1e-3|--optim cgfm --cgfm-lambda-local 0.25"
  [cgfm_ll075]="--lr|1e-3|--optim cgfm --cgfm-lambda-local 0.75"
  [cgfm_ll1]="--lr|1e-3|--optim cgfm --cgfm-lambda-local 1"
  [sgg]="--lr|1e-3|--optim sgg --source $source_txt"
  [spectral]="--lr|1e-3|--optim spectral"
  [muon]="--muon-lr|0.02|--optim muon"
  # METHODS §2b's ablations: SGG's blend toward the momentum is close to heavier momentum (AdamW at beta1 0.95),
  # and alpha 0 keeps only the conflict projection and the adaptive clip.
  [adamw_b1_095]="--lr|1e-3|--optim adamw --grad-clip 1 --beta1 0.95"
  [sgg_alpha0]="--lr|1e-3|--optim sgg --source $source_txt --sgg-alpha 0"
  # METHODS §5.2's grid {SGD, AdamW} x {baseline, CGFM s = 1, CGFM-R, CGFM-L + clip} (twelfth session): the SGD arms
  # run SGD with momentum 0.9 (the preset's), CGFM-L is the paper's literal step multiplier (denominator frozen at step 0).
  [cgfm_l]="--lr|1e-3|--optim cgfm --cgfm-step l"
  [sgd]="--lr|0.1|--optim sgd --grad-clip 0"
  [sgd_clip]="--lr|0.1|--optim sgd --grad-clip 1"
  [cgfm_sgd_one]="--lr|0.1|--optim cgfm --base-optim sgd --cgfm-step one"
  [cgfm_sgd_r]="--lr|0.1|--optim cgfm --base-optim sgd --cgfm-step r"
  [cgfm_sgd_l]="--lr|0.1|--optim cgfm --base-optim sgd --cgfm-step l"
  # The control that explains CGFM-R's lead over SGD: s_t ~ 2 multiplies the lr but lr*wd is kept, so the decay per unit
  # of step halves. SGD + clip and CGFM with s = 1 at half the weight decay.
  [sgd_clip_wd05]="--lr|0.1|--optim sgd --grad-clip 1 --weight-decay 0.05"
  [cgfm_sgd_one_wd05]="--lr|0.1|--optim cgfm --base-optim sgd --cgfm-step one --weight-decay 0.05"
  # CGFM's faithful form, theta <- theta - eta s_t G_adj: plain SGD (no momentum), its base and the decay control.
  [sgd0_clip]="--lr|0.5|--optim sgd --momentum 0 --grad-clip 1"
  [cgfm_sgd0_r]="--lr|0.5|--optim cgfm --base-optim sgd --momentum 0 --cgfm-step r"
  [sgd0_clip_wd05]="--lr|0.5|--optim sgd --momentum 0 --grad-clip 1 --weight-decay 0.05"
  # METHODS §5.2's context lengths up to 256: config T trained on blocks of 256 tokens (4x the tokens per step).
  [adamw_clip_b256]="--lr|0.004|--optim adamw --grad-clip 1 --block-size 256"
  [cgfm_r_b256]="--lr|0.004|--optim cgfm --cgfm-step r --block-size 256"
  [muon_b256]="--muon-lr|0.02|--optim muon --block-size 256"
)

engine() { nice -n "$NICE" dotnet "$engine_dll" "$@"; }

# run_one METHOD LR SEED PHASE: trains, evaluates, appends one CSV row (skipped when the CSV holds it).
run_one() {
  local method="$1" lr="$2" seed="$3" phase="$4"
  if grep -q "^$method,[^,]*,$lr,$seed,[^,]*,$STEPS,.*,ok\$" "$CSV"; then
    echo "(kept) $(grep "^$method,[^,]*,$lr,$seed,[^,]*,$STEPS," "$CSV" | tail -n 1)"
    return
  fi
  local flag base extra
  IFS='|' read -r flag base extra <<< "${spec[$method]}"
  local dir="$OUT/$method-lr$lr-s$seed"
  rm -rf "$dir"
  local lr_flags=("$flag" "$lr")
  if [[ "$flag" == "--lr" ]]; then
    lr_flags+=(--min-lr "$(python3 -c "print($lr/10)")")
  fi
  local t0 t1 status=ok val="nan"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086  # extra holds several flags
  if ! engine train --preset tiny --data "$DATA" --seed "$seed" --max-iters "$STEPS" \
        --lr-decay-iters "$STEPS" --warmup-iters "$warmup" --eval-interval "$eval_interval" \
        --checkpoint-interval 1000000 --out-dir "$dir" "${lr_flags[@]}" $extra \
        > "$dir.train.log" 2>&1; then
    status=train_failed
  fi
  t1=$(date +%s.%N)
  if [[ "$status" == ok ]]; then
    if engine eval --checkpoint "$dir" --data "$DATA" > "$dir.eval.log" 2>&1; then
      val=$(sed -n 's/^val loss \([0-9.naNinfINF-]*\).*/\1/p' "$dir.eval.log")
      [[ -n "$val" ]] || { status=eval_unparsed; val=nan; }
    else
      status=eval_failed
    fi
    rm -f "$dir"/step-*.safetensors
  fi
  python3 "$here/row.py" "$CSV" "$method" "$flag" "$lr" "$seed" "$phase" "$STEPS" "$val" \
    "$(echo "$t1 - $t0" | bc)" "$status" "$dir/metrics.jsonl" "$warmup"
  tail -n 1 "$CSV"
}

started=$(date +%s)
header="method,lr_flag,lr,seed,phase,steps,val_loss,last_logged_val_loss,final_train_loss,ms_per_iter_median,wall_s,gv_logged,cgfm_step_multiplier,cgfm_global_fraction,sgg_cos_g_gs,sgg_clip_rate,spectral_high_freq_fraction,status"
if [[ "$RESUME" != 1 || ! -f "$CSV" || "$(head -n 1 "$CSV")" != "$header" ]]; then
  echo "$header" > "$CSV"
fi

declare -A best_lr
for method in $METHODS; do
  IFS='|' read -r _ base _ <<< "${spec[$method]}"
  for factor in 0.5 1 2; do
    run_one "$method" "$(python3 -c "print(f'{$base*$factor:g}')")" 0 lr_search
  done
  best_lr[$method]=$(python3 "$here/summary.py" "$CSV" --steps "$STEPS" --best-lr "$method")
  # While the best lr is the largest (smallest) tried, try one factor of 2 beyond it, up to MAX_EXTEND times:
  # a method compared at the edge of its grid is not tuned.
  for (( extension = 0; extension < MAX_EXTEND; extension++ )); do
    next=$(python3 "$here/summary.py" "$CSV" --steps "$STEPS" --next-lr "$method")
    [[ -n "$next" ]] || break
    echo "== $method: best lr ${best_lr[$method]} is at the edge of the grid; trying $next"
    run_one "$method" "$next" 0 lr_search
    best_lr[$method]=$(python3 "$here/summary.py" "$CSV" --steps "$STEPS" --best-lr "$method")
  done
  echo "== $method: best lr on seed 0 = ${best_lr[$method]}"
done

for method in $METHODS; do
  for seed in "${SEEDS_EXTRA[@]}"; do
    run_one "$method" "${best_lr[$method]}" "$seed" seeds
  done
done

python3 "$here/summary.py" "$CSV" --steps "$STEPS"

# Every method's best-lr seeds side by side, tested against the first method (Welch's t-test on the logged val loss),
# with the curves drawn to val_loss_$STEPS.svg.
# A method whose run folders are gone (results.csv kept them from an earlier OUT) is left out with a note.
groups=()
for method in $METHODS; do
  runs=()
  for seed in 0 "${SEEDS_EXTRA[@]}"; do runs+=("$OUT/$method-lr${best_lr[$method]}-s$seed"); done
  missing=0
  for dir in "${runs[@]}"; do [[ -f "$dir/metrics.jsonl" ]] || missing=1; done
  if (( missing )); then echo "run.sh: $method left out of the comparison: a run folder under $OUT is missing" >&2; continue; fi
  groups+=("$method=$(IFS=,; echo "${runs[*]}")")
done
if (( ${#groups[@]} > 0 )); then
  engine compare "${groups[@]}" --format markdown --svg "$here/$SVG" || echo "run.sh: engine compare failed" >&2
fi
echo "total wall time: $(( $(date +%s) - started )) s (STEPS=$STEPS, outputs under $OUT)"
