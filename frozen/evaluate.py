"""The ground-truth metric: validation bits per byte, eq. (1) of the paper.

# ===================================================================================================
# DO NOT CHANGE. Every result of a campaign is measured by this file; an edit voids the comparison.
# ===================================================================================================

    bpb = sum_i -log2 p(x_i | x_<i)  /  sum_i |x_i|_bytes

over a pinned number of validation tokens (meta.json's eval_tokens, rows of MAX_SEQ_LEN tokens taken in order
from the validation stream). Targets that are special tokens (BOS) have no bytes and are excluded from both
sums. The model is any callable mapping int64 ids (B, T) to logits (B, T, V).
"""
import math, os, resource, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from . import MAX_SEQ_LEN, _T_IMPORT, verify
from ._store import load_array, load_meta

def cpu_bf16_supported():
    """Whether this CPU runs bf16 matmuls natively (AVX512-BF16 / AMX); emulated bf16 is ~10x slower than fp32.
    AUTORESEARCH_CPU_BF16=1 or 0 overrides the answer (tests of the bf16 path on any CPU)."""
    forced = os.environ.get('AUTORESEARCH_CPU_BF16', '')
    if forced in ('0', '1'): return forced == '1'
    try: return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError): return False

def _autocast(device):
    "bf16 on CUDA and on CPUs with native bf16, else full precision (the metric is the same up to rounding)."
    enabled = device.type == 'cuda' or (device.type == 'cpu' and cpu_bf16_supported())
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)

def eval_batch_size(device, seq_len, vocab_size):
    """Rows per evaluation batch: 16 on accelerators; on CPU as many as keep one batch's logits within 16 MiB,
    so that they stay in cache (measured here: 8 rows of 256 x 2048 logits evaluate 1.5x faster than 16). The
    batch size changes only the order of summation, never which tokens count."""
    if torch.device(device).type != 'cpu': return 16
    return max(1, (4 << 20) // (seq_len * vocab_size))

@torch.no_grad()
def bpb_sums(model, tokens, token_bytes, seq_len, n_rows, batch_size=None, device='cpu'):
    "Total nats and total bytes of the first `n_rows` rows of `tokens` (targets with 0 bytes excluded)."
    device = torch.device(device)
    token_bytes = np.asarray(token_bytes)
    batch_size = batch_size or eval_batch_size(device, seq_len, len(token_bytes))
    token_bytes = torch.tensor(token_bytes, dtype=torch.int64, device=device)
    window = np.arange(seq_len + 1)
    total_nats, total_bytes = 0.0, 0
    for first in range(0, n_rows, batch_size):
        starts = np.arange(first, min(first + batch_size, n_rows))[:, None] * seq_len
        rows = torch.from_numpy(np.asarray(tokens)[starts + window].astype(np.int64)).to(device)
        x, y = rows[:, :-1], rows[:, 1:]
        with _autocast(device): logits = model(x)
        nats = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction='none')
        nbytes = token_bytes[y.reshape(-1)]
        total_nats += nats[nbytes > 0].double().sum().item()
        total_bytes += nbytes.sum().item()
    return total_nats, total_bytes

def evaluate_bpb(model, batch_size=None, device=None, profile=None):
    "val_bpb of `model` on the pinned validation tokens of the prepared data."
    meta = load_meta(profile)
    device = device or next(model.parameters()).device
    # an exported program (torch.fx.GraphModule) is already in inference form and refuses .eval()
    switch = isinstance(model, torch.nn.Module) and not isinstance(model, torch.fx.GraphModule) and model.training
    if switch: model.eval()
    try:
        nats, nbytes = bpb_sums(model, load_array('val.npy', profile), load_array('token_bytes.npy', profile),
                                MAX_SEQ_LEN, meta['eval_tokens'] // MAX_SEQ_LEN, batch_size, device)
    finally:
        if switch: model.train()
    return nats / (math.log(2) * nbytes)

def peak_memory_mb(device):
    if device.type == 'cuda': return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB

SUMMARY_KEYS = ('val_bpb', 'training_seconds', 'total_seconds', 'eval_seconds', 'peak_memory_mb', 'mfu_percent',
                'total_tokens_M', 'num_steps', 'num_params_M', 'depth')

def finish(model, **stats):
    "Evaluate the trained model and print the `---` summary of `key: value` lines; return the summary dict."
    frozen_version = verify()  # a run whose frozen/ changed is void: fail rather than print a number
    t0 = time.time()
    device = next(model.parameters()).device
    val_bpb = evaluate_bpb(model, device=device)
    summary = dict(val_bpb=val_bpb, eval_seconds=time.time() - t0, total_seconds=time.time() - _T_IMPORT,
                   peak_memory_mb=peak_memory_mb(device),
                   num_params_M=sum(p.numel() for p in model.parameters()) / 1e6, frozen_version=frozen_version,
                   **stats)
    keys = [k for k in SUMMARY_KEYS if k in summary] + sorted(k for k in summary if k not in SUMMARY_KEYS)
    print('---')
    for k in keys:
        v = summary[k]
        print(f'{k}: {v:.6f}' if isinstance(v, float) else f'{k}: {v}')
    sys.stdout.flush()
    return summary
