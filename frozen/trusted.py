"""The trusted path from a trained model to its val_bpb, for runs under the harness.

# ===================================================================================================
# DO NOT CHANGE. The harness believes only the numbers this file produces.
# ===================================================================================================

When the harness sets AUTORESEARCH_HANDOVER=PATH, `frozen.finish(model)` does not evaluate in the training
process: it exports the model to PATH (`torch.export` for a .pt2 path, else a traced TorchScript module: a
graph of tensor operations either way, no Python from train.py) and exits. The harness then runs

    python -m frozen.trusted PATH --out RESULT.json

in a fresh process that imports nothing from train.py. It verifies frozen/, loads the exported program,
measures val_bpb with `evaluate_bpb`, and runs a causality probe: changing the tokens from position k on must
leave the logits before k unchanged (k = 1, T/2, T-1). A model that peeks at the future fails the probe and
its val_bpb is not to be trusted.
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch
from . import MAX_SEQ_LEN, VOCAB_SIZE, FrozenError, verify

HANDOVER_ENV = 'AUTORESEARCH_HANDOVER'
EXPORT_BATCH = 4  # example batch of the export; the batch dimension is dynamic

def export_model(model, path, **stats):
    """Export `model` (ids (B, T) -> logits (B, T, V)) to `path` with its stats beside it; print the hand-over.
    A `.pt2` path gets `torch.export` (an ExportedProgram); any other a traced TorchScript module, which is 5x
    faster to write and 25x faster to load here. Both hold tensor operations only, no Python of train.py."""
    t0 = time.time()
    model.eval()
    device = next(model.parameters()).device
    example = torch.zeros(EXPORT_BATCH, MAX_SEQ_LEN, dtype=torch.long, device=device)
    with torch.no_grad():
        if str(path).endswith('.pt2'):
            batch = torch.export.Dim('batch', min=1, max=4096)
            torch.export.save(torch.export.export(model, (example,), dynamic_shapes=({0: batch},)), path)
        else:
            torch.jit.save(torch.jit.trace(model, (example,), check_trace=False), path)
    stats = dict(stats, export_seconds=time.time() - t0)
    with open(f'{path}.json', 'w') as f: json.dump(stats, f)
    print('---')
    for k, v in stats.items(): print(f'{k}: {v:.6f}' if isinstance(v, float) else f'{k}: {v}')
    print(f'handover: {path}', flush=True)
    return stats

@torch.no_grad()
def causality_probe(module, tokens, device, n_rows=4, tol=1e-3):
    "Max change of logits before position k when the tokens from k on are replaced, over k in (1, T/2, T-1)."
    T = MAX_SEQ_LEN
    x = torch.from_numpy(np.asarray(tokens[: n_rows * T]).astype(np.int64).reshape(n_rows, T)).to(device)
    base = module(x).float()
    gen = torch.Generator().manual_seed(0)
    worst = 0.0
    for k in (1, T // 2, T - 1):
        x2 = x.clone()
        x2[:, k:] = torch.randint(0, VOCAB_SIZE - 1, (n_rows, T - k), generator=gen).to(device)
        worst = max(worst, (module(x2).float()[:, :k] - base[:, :k]).abs().max().item())
    return worst

def evaluate_exported(path, device=None):
    "val_bpb and the causality probe of an exported model, as a dict (the harness's ground truth)."
    from .evaluate import evaluate_bpb
    from ._store import load_array
    verify()
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    t0 = time.time()
    try:
        if str(path).endswith('.pt2'): module = torch.export.load(path).module().to(device)
        else: module = torch.jit.load(path, map_location=device)
    except Exception as e: return dict(valid=False, error=f'the handed-over model could not be loaded: {e!r}'[:500])
    out = dict(load_seconds=time.time() - t0)
    try:
        probe = causality_probe(module, load_array('val.npy'), device)
        t1 = time.time()
        val_bpb = evaluate_bpb(module, device=device)
    except FrozenError: raise
    except Exception as e: return dict(out, valid=False, error=f'the handed-over model failed on validation input: {e!r}'[:500])
    causal = probe <= 1e-3
    return dict(out, valid=causal and math.isfinite(val_bpb), val_bpb=val_bpb, causal=causal, probe_max_diff=probe,
                eval_seconds=time.time() - t1, error='' if causal else
                f'not causal: logits before position k changed by {probe:.3g} when later tokens changed')

def _answer(exported, out, device):
    try: result = evaluate_exported(exported, device)
    except FrozenError as e: result = dict(valid=False, error=str(e), tampered=True)
    with open(out + '.tmp', 'w') as f: json.dump(result, f)
    os.replace(out + '.tmp', out)

def serve(device=None):
    """Answer requests for a whole campaign from one warm process (torch imported, validation data loaded once):
    each stdin line `{"exported": PATH, "out": PATH}` gets its result file written, then `done PATH` on stdout."""
    for line in sys.stdin:
        if not line.strip(): continue
        req = json.loads(line)
        _answer(req['exported'], req['out'], device)
        print(f"done {req['out']}", flush=True)

def main(argv=None):
    ap = argparse.ArgumentParser(prog='python -m frozen.trusted')
    ap.add_argument('exported', nargs='?', help='the exported model (omit with --serve)')
    ap.add_argument('--out', help='where the JSON result is written')
    ap.add_argument('--device', default=None)
    ap.add_argument('--serve', action='store_true', help='answer requests from stdin, one JSON line each')
    args = ap.parse_args(argv)
    if args.serve: serve(args.device)
    elif not (args.exported and args.out): ap.error('give EXPORTED and --out, or --serve')
    else: _answer(args.exported, args.out, args.device)
    return 0

if __name__ == '__main__': sys.exit(main())
