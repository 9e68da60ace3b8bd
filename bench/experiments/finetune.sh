#!/usr/bin/env bash
# SGG in the setting it is meant for (METHODS.md §5.3, scaled down): pre-train on a source text, fine-tune on a small,
# different target text, and measure the target's val loss and how much of the source is kept (source val loss after
# fine-tuning). Methods: AdamW + clip, SGG-B with the source text as its guidance stream, SGG with alpha 0
# (conflict projection and adaptive clip only), and SPEC-GF (also meant for fine-tuning). lr grid on seed 0, then
# seeds 1 and 2 at the best lr. See README.md.
#
# Usage: bench/experiments/finetune.sh        Environment: OUT (/tmp/engine-finetune), DATA (tinyshakespeare),
#        PRE_STEPS (1500), STEPS (300), METHODS, LRS ("1e-4 3e-4 1e-3"), NICE (19), ENGINE_DLL (the build's engine.dll), SVG (finetune_val_loss.svg: the
#        curves of METHODS' best-lr runs, in this folder). Finished runs in OUT are reused; OUT remembers the
#        DATA, PRE_STEPS, STEPS and SHOTS it was made with and refuses others (choose another OUT).
#        SHOTS=K: METHODS §5.3's K-shot fine-tuning: the target's training text is cut to its first K blocks (K x 64
#        tokens, the block plus its shifted target for K = 1), and every run validates on the target's last 10% as a file
#        of its own (--val-data), the same for every K. PRE_DIR: a pre-trained run to start from (default OUT/pre,
#        trained when absent), so that several K share one pre-training.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
OUT="${OUT:-/tmp/engine-finetune}"
DATA="${DATA:-/work/shared/data/tinyshakespeare.txt}"
PRE_STEPS="${PRE_STEPS:-1500}"
STEPS="${STEPS:-300}"
NICE="${NICE:-19}"
SVG="${SVG:-finetune_val_loss.svg}"
METHODS="${METHODS:-adamw_clip sgg sgg_alpha0 spectral}"
SHOTS="${SHOTS:-}"
PRE_DIR="${PRE_DIR:-$OUT/pre}"
read -ra LRS <<< "${LRS:-1e-4 3e-4 1e-3}"
MAX_WIDEN=4
# ENGINE_DLL: a copy of the build to run (building the solution during a study would swap the binary under it).
engine_dll="${ENGINE_DLL:-$repo/src/Cli/bin/Release/net10.0/engine.dll}"
if [[ -n "${ENGINE_DLL:-}" && ! -f "$ENGINE_DLL" ]]; then echo "finetune.sh: ENGINE_DLL $ENGINE_DLL not found" >&2; exit 1; fi
[[ -f "$engine_dll" ]] || (cd "$repo" && dotnet build Engine.sln -c Release)
[[ -f "$DATA" ]] || { echo "finetune.sh: data file $DATA not found" >&2; exit 1; }
engine() { nice -n "$NICE" dotnet "$engine_dll" "$@"; }
# calc EXPR [FORMAT]: arithmetic for lrs; the formats keep run names short and stable (3e-05, 1.73e-04).
calc() { awk "BEGIN { printf \"${2:-%.3g}\", $1 }"; }
mkdir -p "$OUT"
stamp="data=$DATA pre_steps=$PRE_STEPS steps=$STEPS${SHOTS:+ shots=$SHOTS}"
if [[ -f "$OUT/stamp" && "$(cat "$OUT/stamp")" != "$stamp" ]]; then
  echo "finetune.sh: $OUT holds runs made with $(cat "$OUT/stamp"); use another OUT for $stamp" >&2
  exit 1
fi
echo "$stamp" > "$OUT/stamp"

# Source: the first half of the file. Target: its last 40,000 bytes (other plays, other characters); the trainer's split
# keeps the target's last 10% for validation, so 300 steps of 12 x 64 tokens pass over its training part several times.
size=$(wc -c < "$DATA")
head -c $(( size / 2 )) "$DATA" > "$OUT/source.txt"
tail -c 40000 "$DATA" > "$OUT/target.txt"

# val_loss CHECKPOINT FILE [SPLIT]: the checkpoint's loss over FILE's val split, or SPLIT ("inf" when eval fails).
val_loss() {
  engine eval --checkpoint "$1" --data "$2" --split "${3:-val}" 2>/dev/null | awk '/^(val|all) loss/ { print $3; found = 1 } END { if (!found) print "inf" }'
}

# Byte-level BPE, so the target's text is always encodable with the source's tokenizer.
# PRE_DIR.stamp says what the pre-training was made of; a PRE_DIR made of something else, or holding anything but a
# finished pre-training, is refused rather than reused or deleted.
pre_stamp="data=$DATA pre_steps=$PRE_STEPS"
if [[ -f "$PRE_DIR.stamp" && "$(cat "$PRE_DIR.stamp")" != "$pre_stamp" ]]; then
  echo "finetune.sh: PRE_DIR $PRE_DIR was pre-trained with $(cat "$PRE_DIR.stamp"), not $pre_stamp" >&2
  exit 1
fi
if [[ ! -f "$PRE_DIR/latest.json" ]]; then
  if [[ -e "$PRE_DIR" && ! -f "$PRE_DIR.stamp" ]]; then
    echo "finetune.sh: PRE_DIR $PRE_DIR exists but holds no finished pre-training; name an empty or absent folder" >&2
    exit 1
  fi
  rm -rf "$PRE_DIR"
  echo "$pre_stamp" > "$PRE_DIR.stamp"
  engine train --preset tiny --tokenizer bpe --data "$OUT/source.txt" --max-iters "$PRE_STEPS" --lr-decay-iters "$PRE_STEPS" \
    --warmup-iters $(( PRE_STEPS / 15 )) --lr 4e-3 --min-lr 4e-4 --eval-interval "$PRE_STEPS" --checkpoint-interval "$PRE_STEPS" \
    --out-dir "$PRE_DIR" > "$PRE_DIR.log" 2>&1 || { echo "finetune.sh: pre-training failed, see $PRE_DIR.log" >&2; exit 1; }
fi

# tokens FILE: how many tokens the pre-trained tokenizer makes of FILE (its predictions + 1).
tokens() { engine eval --checkpoint "$PRE_DIR" --data "$1" --split all | awk '/^all loss/ { gsub(",", "", $7); print $7 + 1 }'; }
if [[ -n "$SHOTS" ]]; then
  # The target's last 10% (bytes) is the validation file of every K; the K-shot text is the shortest prefix of the rest
  # that makes K x 64 + 1 tokens. A byte adds at most one token, so growing the prefix by the tokens still missing
  # never passes the count by more than a merge across the cut.
  tsize=$(wc -c < "$OUT/target.txt")
  tail -c $(( tsize / 10 )) "$OUT/target.txt" > "$OUT/target_val.txt"
  head -c $(( tsize - tsize / 10 )) "$OUT/target.txt" > "$OUT/target_rest.txt"
  need=$(( SHOTS * 64 + 1 ))
  bytes=$need
  while true; do
    if (( bytes > $(wc -c < "$OUT/target_rest.txt") )); then
      echo "finetune.sh: SHOTS=$SHOTS needs $need tokens, more than the target's training part holds" >&2
      exit 1
    fi
    head -c "$bytes" "$OUT/target_rest.txt" > "$OUT/target_k.txt"
    have=$(tokens "$OUT/target_k.txt") || { echo "finetune.sh: engine eval failed on $OUT/target_k.txt" >&2; exit 1; }
    (( have < need )) || break
    bytes=$(( bytes + need - have ))
  done
  echo "K = $SHOTS: the first $bytes bytes of the target's training part ($have tokens); validation: $(wc -c < "$OUT/target_val.txt") bytes"
  target_flags=(--data "$OUT/target_k.txt" --val-data "$OUT/target_val.txt")
  target_loss() { val_loss "$1" "$OUT/target_val.txt" all; }
else
  target_flags=(--data "$OUT/target.txt")
  target_loss() { val_loss "$1" "$OUT/target.txt"; }
fi
echo "pre-trained: source val loss $(val_loss "$PRE_DIR" "$OUT/source.txt"), target val loss $(target_loss "$PRE_DIR") (before fine-tuning)"

flags_of() {
  case "$1" in
    adamw_clip) flags=(--optim adamw --grad-clip 1) ;;
    adamw_l2init) flags=(--optim adamw --grad-clip 1 --l2-to-init 1e-3) ;;   # METHODS §3(c)'s control for SPEC-GF's regularizer
    adamw_b1_095) flags=(--optim adamw --grad-clip 1 --beta1 0.95) ;;   # METHODS §2b's control: SGG's blend ~ heavier momentum?
    sgg) flags=(--optim sgg --source "$OUT/source.txt") ;;
    sgg_alpha0) flags=(--optim sgg --source "$OUT/source.txt" --sgg-alpha 0) ;;
    sgg_bf16) flags=(--optim sgg --source "$OUT/source.txt" --sgg-source-precision bf16) ;;   # g_s kept in bfloat16
    # METHODS §5.3's baselines: A-GEM alone (the conflict projection only) and PCGrad (both tasks' gradients, each
    # projected off the other in a conflict), plain joint training on g + g_s (PCGrad without its projection: its
    # control), and SGG's loss form A.
    agem) flags=(--optim sgg --source "$OUT/source.txt" --sgg-alpha 0 --sgg-c-tau 0) ;;
    pcgrad) flags=(--optim sgg --source "$OUT/source.txt" --sgg-alpha 0 --sgg-c-tau 0 --sgg-source-weight 1) ;;
    joint) flags=(--optim sgg --source "$OUT/source.txt" --sgg-alpha 0 --sgg-c-tau 0 --sgg-source-weight 1 --sgg-projection false) ;;   # PCGrad's control
    sgg_a) flags=(--optim sgg --sgg-form a --source "$OUT/source.txt") ;;
    # METHODS §2b's direction for support sets of <= 32 examples: d = the mean gradient of the whole K-shot set.
    sgg_support) flags=(--optim sgg --source "$OUT/source.txt" --sgg-direction support --sgg-support-blocks "${SHOTS:-32}") ;;
    spectral) flags=(--optim spectral) ;;   # SPEC-GF is also meant for fine-tuning from a pre-trained model (§5.4)
    # METHODS §5.4's 2x2 ablation (the regularizer L_spec, the filter) x {L_sym, L_comb}, with today's defaults (exact
    # filter up to 512 rows, W_ref = the starting weights): regularizer only (rho 0), filter only (lambda 0), both.
    spec_both_sym) flags=(--optim spectral --spectral-laplacian sym) ;;
    spec_reg_sym) flags=(--optim spectral --spectral-laplacian sym --spectral-rho 0) ;;
    spec_filter_sym) flags=(--optim spectral --spectral-laplacian sym --spectral-lambda 0) ;;
    spec_both_comb) flags=(--optim spectral --spectral-laplacian comb) ;;
    spec_reg_comb) flags=(--optim spectral --spectral-laplacian comb --spectral-rho 0) ;;
    spec_filter_comb) flags=(--optim spectral --spectral-laplacian comb --spectral-lambda 0) ;;
    spectral_update) flags=(--optim spectral --spectral-placement update) ;;   # METHODS §3b's variant: filter the AdamW update
    spectral_zero) flags=(--optim spectral --spectral-reference zero) ;;   # exact filter, W_ref = 0: isolates W_ref
    spectral_cheb_zero) flags=(--optim spectral --spectral-mode chebyshev --spectral-reference zero) ;;   # the defaults before the ninth session
    *) echo "finetune.sh: unknown method $1" >&2; exit 1 ;;
  esac
}

# run METHOD LR SEED: fine-tunes (once; the result is kept), then prints "METHOD LR SEED target_val source_val".
# A run that fails or diverges gets "inf inf", so it can never be chosen as the best.
run() {
  local dir="$OUT/$1-lr$2-s$3"
  if [[ ! -f "$dir/result" ]]; then
    rm -rf "$dir"
    flags_of "$1"
    if engine train --preset tiny --tokenizer bpe --init-from "$PRE_DIR" "${target_flags[@]}" --seed "$3" \
         --max-iters "$STEPS" --lr-decay-iters "$STEPS" --warmup-iters $(( STEPS / 10 )) --lr "$2" --min-lr "$(calc "$2 / 10")" \
         --eval-interval $(( STEPS / 6 )) --checkpoint-interval "$STEPS" --out-dir "$dir" "${flags[@]}" > "$dir.log" 2>&1; then
      echo "$1 $2 $3 $(target_loss "$dir") $(val_loss "$dir" "$OUT/source.txt")" > "$dir.result"
      rm -f "$dir"/step-*.safetensors
    else
      mkdir -p "$dir"
      echo "$1 $2 $3 inf inf" > "$dir.result"
    fi
    mv "$dir.result" "$dir/result"
  fi
  cat "$dir/result"
}

# best_of LINES: the lr of the line with the lowest finite target val loss.
best_of() { awk '$4 ~ /^[0-9.]+$/ && (best == "" || $4 < min) { min = $4; best = $2 } END { print best }'; }

# The grid is widened by a factor of 3 beyond whichever edge holds the best lr (at most MAX_WIDEN times), then tried
# at √3 either side of the best: a 3x grid alone could leave a method 0.005 from its optimum.
declare -A best
for method in $METHODS; do
  grid=("${LRS[@]}")
  for (( widened = 0; ; widened++ )); do
    results=()
    for lr in "${grid[@]}"; do results+=("$(run "$method" "$lr" 0)"); done
    best[$method]=$(printf '%s\n' "${results[@]}" | best_of)
    [[ -n "${best[$method]}" ]] || { echo "finetune.sh: every $method run failed (see $OUT/$method-*.log)" >&2; exit 1; }
    edge=""
    [[ "${best[$method]}" == "${grid[0]}" ]] && edge=low
    [[ "${best[$method]}" == "${grid[-1]}" ]] && edge=high
    [[ -n "$edge" ]] || break
    if (( widened == MAX_WIDEN )); then
      echo "finetune.sh: warning: $method's best lr ${best[$method]} is still at the $edge edge after $MAX_WIDEN widenings" >&2
      break
    fi
    if [[ "$edge" == low ]]; then grid=("$(calc "${grid[0]} / 3" %.0e)" "${grid[@]}"); else grid+=("$(calc "${grid[-1]} * 3" %.0e)"); fi
  done
  for factor in 0.57735 1.73205; do results+=("$(run "$method" "$(calc "${best[$method]} * $factor" %.2e)" 0)"); done
  best[$method]=$(printf '%s\n' "${results[@]}" | best_of)
  printf '%s\n' "${results[@]}" | sort -k2,2g
  echo "== $method: best lr on seed 0 (target val loss) = ${best[$method]}"
done

groups=()
echo "| method | best lr | target val loss (mean ± std, 3 seeds) | source val loss after (mean ± std) |"
echo "|---|---|---|---|"
for method in $METHODS; do
  runs=()
  for seed in 0 1 2; do run "$method" "${best[$method]}" "$seed" > /dev/null; runs+=("$OUT/$method-lr${best[$method]}-s$seed"); done
  groups+=("$method=$(IFS=,; echo "${runs[*]}")")
  cat "${runs[@]/%//result}" | awk -v m="$method" -v lr="${best[$method]}" '
    { t[NR] = $4; s[NR] = $5; st += $4; ss += $5 }
    END {
      mt = st / NR; ms = ss / NR
      for (i = 1; i <= NR; i++) { vt += (t[i] - mt) ^ 2; vs += (s[i] - ms) ^ 2 }
      printf "| %s | %s | %.4f ± %.4f | %.4f ± %.4f |\n", m, lr, mt, sqrt(vt / (NR - 1)), ms, sqrt(vs / (NR - 1))
    }'
done
engine compare "${groups[@]}" --format markdown --svg "$here/$SVG"
