"""Appends one run's row to results.csv, from its metrics.jsonl (called by run.sh)."""
import csv
import json
import math
import statistics
import sys

(csv_path, method, lr_flag, lr, seed, phase, steps, val_loss, wall_s, status,
 metrics_path, warmup) = sys.argv[1:13]

records = []
try:
    with open(metrics_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
except FileNotFoundError:
    pass


def values(key, after=0):
    return [r[key] for r in records if key in r and r["step"] > after and r[key] is not None]


def fmt(x):
    return "" if x is None else f"{x:.6g}"


def mean(xs):
    return statistics.fmean(xs) if xs else None


logged_val = values("val_loss")
train = values("train_loss")
ms = values("ms_per_iter")
# Gradient variability (METHODS.md §0) over the logged steps after warm-up: std / mean of ||g||.
norms = [x for x in values("grad_norm", after=int(warmup)) if math.isfinite(x)]
gv = statistics.pstdev(norms) / statistics.fmean(norms) if len(norms) > 1 else None

row = [method, lr_flag, lr, seed, phase, steps, val_loss,
       fmt(logged_val[-1] if logged_val else None), fmt(train[-1] if train else None),
       fmt(statistics.median(ms) if ms else None), f"{float(wall_s):.1f}", fmt(gv),
       fmt(mean(values("cgfm_step_multiplier"))), fmt(mean(values("cgfm_global_fraction"))),
       fmt(mean(values("sgg_cos_g_gs"))), fmt(mean(values("sgg_clip_rate"))),
       fmt(mean(values("spectral_high_freq_fraction"))), status]
with open(csv_path, "a", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\n").writerow(row)
