"""The training data loader: the only data train.py can see. It hands out training rows, never validation.

Rows are BOS-aligned: every row starts at the beginning of a document (a paragraph of the corpus) and runs on
across the following documents, which are separated by BOS; no padding, no token wasted on filler. Each epoch
visits every document start once in a seeded random order.
"""
import numpy as np
import torch
from . import MAX_SEQ_LEN, SEED, FrozenError
from ._store import load_array

def make_loader(batch_size, seq_len=MAX_SEQ_LEN, device='cpu', seed=SEED, profile=None):
    "Yield `(x, y, epoch)` forever: int64 tensors of shape (batch_size, seq_len) on `device`, y shifted by one."
    if batch_size < 1 or seq_len < 1: raise FrozenError(f"batch_size={batch_size} and seq_len={seq_len} must be >= 1")
    tokens = np.asarray(load_array('train.npy', profile))
    starts = np.asarray(load_array('train_starts.npy', profile))
    starts = starts[starts + seq_len + 1 <= len(tokens)]
    if len(starts) < batch_size: raise FrozenError(f"the training split has {len(starts)} usable rows, fewer than "
                                                   f"batch_size={batch_size} at seq_len={seq_len}")
    rng = np.random.default_rng(seed)
    window = np.arange(seq_len + 1)
    pin = torch.device(device).type == 'cuda'
    epoch = 0
    while True:
        order = rng.permutation(starts)
        for i in range(0, len(order) - batch_size + 1, batch_size):
            rows = torch.from_numpy(tokens[order[i:i + batch_size, None] + window].astype(np.int64))
            if pin: rows = rows.pin_memory()
            rows = rows.to(device, non_blocking=pin)
            yield rows[:, :-1], rows[:, 1:], epoch
        epoch += 1
