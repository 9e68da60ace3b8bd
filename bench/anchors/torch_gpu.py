"""PyTorch anchors for Engine's CUDA figures, measured on the same GPU in the same run (a lent machine has torch).

Prints JSON lines in the bench program's format:
- a device-to-device copy and a triad (a = b + s*c) over 3 x 64M fp32: the bandwidth the GPU reaches;
- torch.optim.AdamW (fused=True and foreach) with clip_grad_norm_, on 10M fp32 parameters as one [100, 100000]
  matrix and as 100 [100, 1000] matrices: the optimizer step Engine's `optim_step adamw` is compared with.
Each time is the median of CUDA-event-timed repetitions after a warm-up.
"""
import json
import statistics
import sys

import torch


def timed(fn, warmup=10, reps=50):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def emit(name, shape, ms, **extra):
    print(json.dumps({"name": name, "shape": shape, "device": torch.cuda.get_device_name(), "ms": round(ms, 4),
                      "torch": torch.__version__, **extra}), flush=True)


def bandwidth():
    n = 64 << 20
    a, b, c = (torch.rand(n, device="cuda") for _ in range(3))
    ms = timed(lambda: a.copy_(b))
    emit("torch_copy", f"{n}", ms, gbs=round(2 * 4 * n / ms / 1e6, 1))
    ms = timed(lambda: torch.add(b, c, alpha=3.0, out=a))
    emit("torch_triad", f"{n}", ms, gbs=round(3 * 4 * n / ms / 1e6, 1))


def adamw(shapes, label):
    for mode in ("fused", "foreach"):
        torch.manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(s, device="cuda")) for s in shapes]
        for p in params:
            p.grad = torch.randn_like(p) * 1e-2
        opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1, **{mode: True})

        def step():
            torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
            opt.step()

        ms = timed(step)
        count = sum(p.numel() for p in params)
        emit("torch_adamw_clip", f"{label} {mode}", ms, params=count, gbs=round(28 * count / ms / 1e6, 1))


def main():
    if not torch.cuda.is_available():
        sys.exit("torch_gpu.py: torch sees no CUDA device")
    bandwidth()
    adamw([(100, 100000)], "1x[100,100000]")
    adamw([(100, 1000)] * 100, "100x[100,1000]")


if __name__ == "__main__":
    main()
