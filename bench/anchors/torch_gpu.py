"""PyTorch anchors for Engine's CUDA figures, measured on the same GPU in the same run (a lent machine has torch).

Prints JSON lines in the bench program's format:
- a device-to-device copy and a triad (a = b + s*c) over 3 x 64M fp32: the bandwidth the GPU reaches;
- torch.optim.AdamW (fused=True and foreach) with clip_grad_norm_, on 10M fp32 parameters as one [100, 100000]
  matrix and as 100 [100, 1000] matrices: the optimizer step Engine's `optim_step adamw` is compared with;
- a training step (forward, backward, clip, fused AdamW) of nanoGPT's model at Engine's presets (config T: 4 layers,
  4 heads, width 128, block 64, batch 12; small: 6 layers, 6 heads, width 384, block 256, batch 16; 65 characters; no
  biases, tied embedding, GELU, no dropout), eager fp32 (small also with TF32 matrix products).
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


class Block(torch.nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(width, bias=False)
        self.qkv = torch.nn.Linear(width, 3 * width, bias=False)
        self.proj = torch.nn.Linear(width, width, bias=False)
        self.ln2 = torch.nn.LayerNorm(width, bias=False)
        self.fc = torch.nn.Linear(width, 4 * width, bias=False)
        self.out = torch.nn.Linear(4 * width, width, bias=False)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x))))


class Gpt(torch.nn.Module):
    def __init__(self, vocab, block, layers, heads, width):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, width)
        self.wpe = torch.nn.Embedding(block, width)
        self.blocks = torch.nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(width, bias=False)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def train_step(name, layers, heads, width, block, batch, vocab=65):
    torch.manual_seed(0)
    model = Gpt(vocab, block, layers, heads, width).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1, fused=True)
    idx = torch.randint(vocab, (batch, block), device="cuda")
    targets = torch.randint(vocab, (batch, block), device="cuda")

    def step():
        loss = model(idx, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    ms = timed(step, warmup=20, reps=100)
    emit("torch_train_step", f"{name}: layers {layers}, heads {heads}, width {width}, block {block}, batch {batch} (eager fp32)",
         ms, tokens_per_s=round(batch * block / ms * 1e3))


def main():
    if not torch.cuda.is_available():
        sys.exit("torch_gpu.py: torch sees no CUDA device")
    bandwidth()
    adamw([(100, 100000)], "1x[100,100000]")
    adamw([(100, 1000)] * 100, "100x[100,1000]")
    train_step("T", layers=4, heads=4, width=128, block=64, batch=12)
    torch.backends.cuda.matmul.allow_tf32 = False   # Engine's GEMM is fp32: no tensor cores on either side
    train_step("S", layers=6, heads=6, width=384, block=256, batch=16)
    torch.backends.cuda.matmul.allow_tf32 = True
    train_step("S tf32", layers=6, heads=6, width=384, block=256, batch=16)


if __name__ == "__main__":
    main()
