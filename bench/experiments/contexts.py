"""Prints a markdown table of val loss at each context length, mean ± std over each group's seeds (called by
stability.sh with CONTEXTS). A group is LABEL=DIR,DIR,...; each DIR.contexts holds lines "CONTEXT LOSS" written from
`engine eval --context`. The last column is the first context's difference to the first group, in units of the larger
of the two groups' std (METHODS §5 rule 5 asks for more than 2)."""
import statistics
import sys


def read(run):
    with open(run + ".contexts", encoding="utf-8") as f:
        return {int(c): float(v) for c, v in (line.split() for line in f if line.strip())}


groups = []
for arg in sys.argv[1:]:
    label, runs = arg.split("=", 1)
    groups.append((label, [read(r) for r in runs.split(",")]))
contexts = sorted(set.intersection(*(set(r) for _, runs in groups for r in runs)))


def stats(runs, context):
    xs = [r[context] for r in runs]
    return statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0


print("| method | n | " + " | ".join(f"val loss, context {c}" for c in contexts) + f" | Δ context {contexts[0]} vs {groups[0][0]} (std) |")
print("|---|---|" + "---|" * len(contexts) + "---|")
base_mean, base_std = stats(groups[0][1], contexts[0])
for label, runs in groups:
    cells = [f"{m:.4f} ± {s:.4f}" for m, s in (stats(runs, c) for c in contexts)]
    m, s = stats(runs, contexts[0])
    spread = max(s, base_std)
    delta = f"{m - base_mean:+.4f} ({(m - base_mean) / spread:+.1f})" if spread > 0 else f"{m - base_mean:+.4f}"
    print(f"| {label} | {len(runs)} | " + " | ".join(cells) + f" | {delta} |")
