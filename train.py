"""
Pretrain a small GPT for a fixed wall-clock budget. This is the file the research agent edits.

Usage:
    python train.py                                # profile, budget and seed come from the environment (frozen/)
    AUTORESEARCH_TIME_BUDGET_S=5 python train.py   # a 5-second smoke run
    AUTORESEARCH_PROFILE=gpu python train.py       # the paper's GPU protocol (prepare it first)

While training it prints one `@@progress {json}` line at least once a second (training seconds, step, loss,
tokens). At the end it hands the model to `frozen.finish`, which measures val_bpb on the held-out split and
prints the `---` summary. Anything above the TRY NOT TO MODIFY banners is fair game for the agent.
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: idle OpenMP threads sleep instead of spinning

import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import frozen
import frozen.evaluate
from frozen.data import make_loader

# ---------------------------------------------------------------------------------------------------
# ALGO LOGIC: hyperparameters (edit freely)
ON_GPU_PROFILE = frozen.PROFILE.name == "gpu"
DEPTH = 8 if ON_GPU_PROFILE else 2          # transformer layers
MODEL_DIM = 512 if ON_GPU_PROFILE else 128  # residual stream width
HEAD_DIM = 64                 # width of one attention head (heads = MODEL_DIM // HEAD_DIM)
MLP_RATIO = 4                 # MLP hidden width as a multiple of MODEL_DIM
QK_NORM = False               # RMS-normalise queries and keys per head before attention
LOGIT_SOFTCAP = 15.0          # tanh soft cap on the output logits (0 disables)
BATCH_SIZE = 64 if ON_GPU_PROFILE else 8    # rows per optimiser step
SEQ_LEN = frozen.MAX_SEQ_LEN  # tokens per row (at most MAX_SEQ_LEN)
OPTIMIZER = "adamw"           # "adamw" for every parameter, or "muon" for hidden matrices (AdamW for the rest)
LR = 6e-3                     # AdamW learning rate
MUON_LR = 0.02                # Muon learning rate for hidden matrices (OPTIMIZER = "muon")
MUON_MOMENTUM = 0.95          # Muon Nesterov momentum
ADAM_BETAS = (0.9, 0.95)      # AdamW betas
WEIGHT_DECAY = 0.1            # decoupled weight decay on matrices (embeddings and gains are not decayed)
WARMUP_FRAC = 0.0             # fraction of the budget with a linear LR warm-up
WARMDOWN_FRAC = 0.5           # fraction of the budget, at the end, with a linear LR warm-down
FINAL_LR_FRAC = 0.0           # LR at the end of the warm-down, as a fraction of the peak
GRAD_CLIP = 1.0               # gradient-norm clip after the clip warm-up (0 disables clipping)
GRAD_CLIP_START = 1.0         # clip norm at the start, relaxed linearly to GRAD_CLIP
GRAD_CLIP_WARMUP_FRAC = 0.0   # fraction of the budget over which the clip norm relaxes
COMPILE = "auto"              # torch.compile: "auto" (on CUDA only), True or False
CPU_BF16 = "auto"             # bf16 autocast on the CPU: "auto" where oneDNN has native bf16 (10x slower without)
SEED = frozen.SEED            # set by the harness (AUTORESEARCH_SEED)

# ---------------------------------------------------------------------------------------------------
# Model: GPT with rotary embeddings, RMSNorm, ReLU^2 MLP, optional QK-norm, logit soft cap

def rms_norm(x):
    return F.rms_norm(x, (x.size(-1),))

def apply_rotary(x, cos, sin):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos + x2 * sin, x2 * cos - x1 * sin], dim=-1)

class Attention(nn.Module):
    def __init__(self, dim, head_dim):
        super().__init__()
        self.n_head, self.head_dim = dim // head_dim, head_dim
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, self.head_dim).unbind(2)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        if QK_NORM: q, k = rms_norm(q), rms_norm(k)
        y = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, MLP_RATIO * dim, bias=False)
        self.proj = nn.Linear(MLP_RATIO * dim, dim, bias=False)

    def forward(self, x):
        return self.proj(F.relu(self.fc(x)).square())

class Block(nn.Module):
    def __init__(self, dim, head_dim):
        super().__init__()
        self.attn, self.mlp = Attention(dim, head_dim), MLP(dim)

    def forward(self, x, cos, sin):
        x = x + self.attn(rms_norm(x), cos, sin)
        return x + self.mlp(rms_norm(x))

class GPT(nn.Module):
    def __init__(self, vocab_size, dim, depth, head_dim, seq_len):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, dim)
        self.blocks = nn.ModuleList(Block(dim, head_dim) for _ in range(depth))
        self.lm_head = nn.Linear(dim, vocab_size, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        angles = torch.outer(torch.arange(seq_len).float(), inv_freq)[None, :, None, :]  # (1, T, 1, head_dim/2)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.normal_(self.wte.weight, std=1.0)
        nn.init.normal_(self.lm_head.weight, std=0.001)
        for block in self.blocks:
            for lin in (block.attn.qkv, block.mlp.fc):
                bound = 3 ** 0.5 / lin.in_features ** 0.5
                nn.init.uniform_(lin.weight, -bound, bound)
            for lin in (block.attn.proj, block.mlp.proj):  # residual branches start as identity
                nn.init.zeros_(lin.weight)

    def forward(self, idx, targets=None):
        T = idx.size(1)
        x = rms_norm(self.wte(idx))
        for block in self.blocks:
            x = block(x, self.cos[:, :T], self.sin[:, :T])
        logits = self.lm_head(rms_norm(x)).float()
        if LOGIT_SOFTCAP > 0:
            logits = LOGIT_SOFTCAP * torch.tanh(logits / LOGIT_SOFTCAP)
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))

    def flops_per_token(self):
        "Forward + backward FLOPs per token: 6 per matrix weight, plus attention scores and values."
        matrix_params = sum(p.numel() for n, p in self.named_parameters() if n != "wte.weight")
        attention = 12 * len(self.blocks) * self.wte.embedding_dim * SEQ_LEN
        return 6 * matrix_params + attention

# ---------------------------------------------------------------------------------------------------
# Optimiser: Muon (orthogonalised momentum, Newton-Schulz) for hidden matrices; AdamW for the rest

def newton_schulz(G, steps=5):
    "Approximately orthogonalise G (the U V^T of its SVD) with the quintic iteration of Muon."
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G.bfloat16() if G.is_cuda else G.float()
    transposed = X.size(-2) > X.size(-1)
    if transposed: X = X.mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(steps):
        A = X @ X.mT
        X = a * X + (b * A + c * A @ A) @ X
    return X.mT if transposed else X

class Muon(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None: continue
                buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p.grad))
                buf.lerp_(p.grad, 1 - group["momentum"])
                update = newton_schulz(p.grad.lerp(buf, group["momentum"]))  # Nesterov
                scale = max(1.0, p.size(-2) / p.size(-1)) ** 0.5
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(update.to(p.dtype), alpha=-group["lr"] * scale)

def make_optimizers(model):
    hidden = [p for n, p in model.named_parameters() if n.startswith("blocks.") and p.ndim == 2]
    other_matrices = [model.lm_head.weight]
    embeddings = [model.wte.weight]
    groups = [dict(params=embeddings, weight_decay=0.0)]
    if OPTIMIZER == "muon":
        muon = Muon(hidden, lr=MUON_LR, momentum=MUON_MOMENTUM, weight_decay=WEIGHT_DECAY)
        groups.append(dict(params=other_matrices, weight_decay=WEIGHT_DECAY))
        optimizers = [muon]
    elif OPTIMIZER == "adamw":
        groups.append(dict(params=hidden + other_matrices, weight_decay=WEIGHT_DECAY))
        optimizers = []
    else:
        raise ValueError(f"OPTIMIZER={OPTIMIZER!r}: use 'adamw' or 'muon'")
    adamw = torch.optim.AdamW(groups, lr=LR, betas=ADAM_BETAS, fused=torch.cuda.is_available())
    optimizers.append(adamw)
    for opt in optimizers:
        for group in opt.param_groups: group["initial_lr"] = group["lr"]
    return optimizers

def lr_multiplier(progress):
    "LR as a fraction of its peak at `progress` = training seconds / budget."
    if progress < WARMUP_FRAC: return progress / WARMUP_FRAC
    if progress <= 1 - WARMDOWN_FRAC: return 1.0
    decay = (1 - progress) / WARMDOWN_FRAC
    return FINAL_LR_FRAC + (1 - FINAL_LR_FRAC) * decay

def clip_norm(progress):
    if GRAD_CLIP_WARMUP_FRAC <= 0 or progress >= GRAD_CLIP_WARMUP_FRAC: return GRAD_CLIP
    return GRAD_CLIP_START + (GRAD_CLIP - GRAD_CLIP_START) * progress / GRAD_CLIP_WARMUP_FRAC

# ---------------------------------------------------------------------------------------------------
# TRY NOT TO MODIFY: device set-up, the timed training loop and the hand-over to frozen.finish

PEAK_BF16_FLOPS = {  # dense bf16 tensor-core peaks, by substring of the device name
    "H200": 989e12, "H100 NVL": 835e12, "H100 PCIe": 756e12, "H100": 989e12, "GH200": 989e12, "B200": 2250e12,
    "A100": 312e12, "A10G": 125e12, "A6000": 155e12, "L40S": 362e12, "L40": 181e12, "L4": 121e12,
    "RTX 4090": 165e12, "RTX 3090": 71e12, "V100": 125e12, "T4": 65e12,
}

def peak_flops(device):
    "Peak FLOP/s of this device: $AUTORESEARCH_PEAK_FLOPS, else the table above; nan when unknown (e.g. CPU)."
    if os.environ.get("AUTORESEARCH_PEAK_FLOPS"): return float(os.environ["AUTORESEARCH_PEAK_FLOPS"])
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, flops in PEAK_BF16_FLOPS.items():
            if key in name: return flops
    return float("nan")

def pick_device():
    if torch.cuda.is_available(): return torch.device("cuda")
    if torch.backends.mps.is_available(): return torch.device("mps")
    return torch.device("cpu")

device = pick_device()
if device.type == "cpu":
    torch.set_num_threads(frozen.THREADS)  # the profile pins the thread count; the budget clock counts every thread
if device.type == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
cpu_bf16 = frozen.evaluate.cpu_bf16_supported() if CPU_BF16 == "auto" else bool(CPU_BF16)
autocast_dtype = {"cuda": torch.bfloat16, "cpu": torch.bfloat16 if cpu_bf16 else None}.get(device.type)
autocast = lambda: torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None)
torch.manual_seed(SEED)

model = GPT(frozen.VOCAB_SIZE, MODEL_DIM, DEPTH, HEAD_DIM, SEQ_LEN).to(device)
optimizers = make_optimizers(model)
use_compile = device.type == "cuda" if COMPILE == "auto" else bool(COMPILE)
train_model = torch.compile(model, dynamic=False) if use_compile else model
untimed_steps = 2 if use_compile else 0  # compilation happens in the first steps: not charged to the budget
flops_per_token = model.flops_per_token()
loader = make_loader(BATCH_SIZE, SEQ_LEN, device, SEED)
x, y, epoch = next(loader)

print(f"device: {device} | params: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M | "
      f"autocast: {autocast_dtype} | budget: {frozen.TIME_BUDGET_S:g}s ({frozen.CLOCK} clock) | profile: {frozen.PROFILE.name} | "
      f"seed: {SEED}", flush=True)
training_seconds, step, tokens, timed_tokens, last_report = 0.0, 0, 0, 0, -1.0
startup_seconds = time.time() - frozen._T_IMPORT
while training_seconds < frozen.TIME_BUDGET_S:
    t0 = frozen.clock()  # the budget clock: CPU seconds over the pinned threads on the cpu profile
    progress = training_seconds / frozen.TIME_BUDGET_S
    for opt in optimizers:
        for group in opt.param_groups: group["lr"] = group["initial_lr"] * lr_multiplier(progress)
    with autocast():
        loss = train_model(x, y)
    loss.backward()
    x, y, epoch = next(loader)  # fetch the next batch while the device works
    if clip_norm(progress) > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm(progress))
    for opt in optimizers:
        opt.step()
    model.zero_grad(set_to_none=True)
    loss_value = loss.item()  # synchronises the device, so the step time below is real
    if not math.isfinite(loss_value) or loss_value > 100:
        print(f"FAIL: training loss {loss_value} at step {step}: diverged", flush=True)
        sys.exit(1)
    step += 1
    tokens += BATCH_SIZE * SEQ_LEN
    if step > untimed_steps:
        training_seconds += frozen.clock() - t0
        timed_tokens += BATCH_SIZE * SEQ_LEN
    if training_seconds - last_report >= 0.2 or training_seconds >= frozen.TIME_BUDGET_S:
        frozen.progress(training_seconds, step, loss_value, tokens, epoch=epoch)
        last_report = training_seconds

tokens_per_second = timed_tokens / max(training_seconds, 1e-9)
frozen.finish(
    model,
    training_seconds=training_seconds,
    startup_seconds=startup_seconds,
    mfu_percent=100 * flops_per_token * tokens_per_second / peak_flops(device),
    tokens_per_second=tokens_per_second,
    total_tokens_M=tokens / 1e6,
    num_steps=step,
    depth=DEPTH,
    optimizer=OPTIMIZER,
)
