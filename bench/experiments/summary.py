"""Reads results.csv (only the rows of `--steps N` when given): `--best-lr METHOD` prints the lr with the lowest seed-0 val loss; `--next-lr METHOD` prints
the lr one factor of 2 beyond the grid's edge when that best lr is the largest or the smallest tried (nothing when the
optimum is bracketed); otherwise prints the per-method table (markdown) of the best lr over its seeds."""
import csv
import math
import statistics
import sys

args = sys.argv[1:]
steps = None
if "--steps" in args:
    at = args.index("--steps")
    steps = args[at + 1]
    del args[at:at + 2]

# One row per (method, lr, seed, steps): a rerun's row replaces the earlier one. Runs of another length do not count.
latest = {}
for r in csv.DictReader(open(args[0], encoding="utf-8")):
    if steps is None or r["steps"] == steps:
        latest[(r["method"], r["lr"], r["seed"], r["steps"])] = r
rows = list(latest.values())


def loss(r):
    v = float(r["val_loss"])
    return v if math.isfinite(v) else math.inf


def best_lr(method):
    search = [r for r in rows if r["method"] == method and r["phase"] == "lr_search"]
    return min(search, key=loss)["lr"]


def next_lr(method):
    tried = sorted(float(r["lr"]) for r in rows if r["method"] == method and r["phase"] == "lr_search")
    best = float(best_lr(method))
    if best == tried[-1]:
        return f"{best * 2:g}"
    if best == tried[0]:
        return f"{best / 2:g}"
    return ""


if len(args) > 1 and args[1] in ("--best-lr", "--next-lr"):
    print((best_lr if args[1] == "--best-lr" else next_lr)(args[2]))
    sys.exit(0)


def mean_of(rs, key):
    xs = [float(r[key]) for r in rs if r[key] not in ("", "nan")]
    return f"{statistics.fmean(xs):.3f}" if xs else ""


methods = list(dict.fromkeys(r["method"] for r in rows))
print("| method | lr grid (seed 0 val loss) | best lr | n | val loss mean ± std | ms/iter (median) | GV | method scalars |")
print("|---|---|---|---|---|---|---|---|")
for m in methods:
    grid = sorted((r for r in rows if r["method"] == m and r["phase"] == "lr_search"), key=lambda r: float(r["lr"]))
    lr = best_lr(m)
    at = [r for r in rows if r["method"] == m and r["lr"] == lr]
    losses = [loss(r) for r in at]
    sd = statistics.stdev(losses) if len(losses) > 1 else float("nan")
    scalars = []
    for key, label in (("cgfm_step_multiplier", "s_t"), ("cgfm_global_fraction", "‖g_glob‖/‖g‖"),
                       ("sgg_cos_g_gs", "cos(g,g_s)"), ("sgg_clip_rate", "clip rate"),
                       ("spectral_high_freq_fraction", "hf fraction")):
        v = mean_of(at, key)
        if v:
            scalars.append(f"{label} {v}")
    grid_text = ", ".join(f"{r['lr']}: {float(r['val_loss']):.4f}" for r in grid)
    print(f"| {m} | {grid_text} | {grid[0]['lr_flag']} {lr} | {len(losses)} | "
          f"{statistics.fmean(losses):.4f} ± {sd:.4f} | {mean_of(at, 'ms_per_iter_median')} | "
          f"{mean_of(at, 'gv_logged')} | {'; '.join(scalars)} |")
