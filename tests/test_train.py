"train.py end to end on the cpu profile with a 5-second budget: a real run, its protocol, and its fast-fail."
import math, re
import numpy as np
from conftest import run, summary, progress_lines, ROOT

def unigram_bpb(cache):
    "Bits per byte of a unigram model fitted on the training split (add-one), on the pinned evaluation targets."
    d = cache / 'cpu'
    train, val, tb = (np.load(d / f).astype(np.int64) for f in ('train.npy', 'val.npy', 'token_bytes.npy'))
    import json
    n_eval = json.loads((d / 'meta.json').read_text())['eval_tokens']
    counts = np.bincount(train, minlength=len(tb)) + 1.0
    logp = np.log2(counts / counts.sum())
    targets = val[1:n_eval + 1]
    targets = targets[tb[targets] > 0]
    return -logp[targets].sum() / tb[targets].sum()

def test_five_second_run_beats_unigram(cpu_cache):
    r = run(['train.py'], cpu_cache, AUTORESEARCH_TIME_BUDGET_S=5, AUTORESEARCH_SEED=1)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    s = summary(r.stdout)
    ref = unigram_bpb(cpu_cache)
    assert 3.0 < ref < 3.6, ref
    assert math.isfinite(s['val_bpb']) and s['val_bpb'] < ref, (s['val_bpb'], ref)
    assert 5 <= s['training_seconds'] < 8 and s['num_steps'] >= 1 and s['depth'] >= 1
    for key in ('total_seconds', 'eval_seconds', 'peak_memory_mb', 'mfu_percent', 'total_tokens_M', 'num_params_M'):
        assert key in s, key
    prog = progress_lines(r.stdout)
    assert prog, r.stdout[-1000:]
    elapsed = [p['elapsed_s'] for p in prog]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 5
    assert max(np.diff([0] + elapsed)) < 1.5   # a line at least about once a second
    assert all({'elapsed_s', 'step', 'loss', 'tokens'} <= p.keys() for p in prog)
    assert prog[-1]['tokens'] == round(s['total_tokens_M'] * 1e6)

def test_divergence_fails_fast(cpu_cache, tmp_path):
    src = (ROOT / 'train.py').read_text()
    bad = re.sub(r'^LR = .*$', 'LR = 1e3', src, count=1, flags=re.M)                     # a wild learning rate,
    bad = re.sub(r'^LOGIT_SOFTCAP = .*$', 'LOGIT_SOFTCAP = 0.0', bad, count=1, flags=re.M)  # nothing to bound logits
    bad = re.sub(r'^GRAD_CLIP = .*$', 'GRAD_CLIP = 0.0', bad, count=1, flags=re.M)
    assert bad.count('1e3') == 1 and 'LOGIT_SOFTCAP = 0.0' in bad and 'GRAD_CLIP = 0.0' in bad
    (tmp_path / 'train.py').write_text(bad)
    r = run([str(tmp_path / 'train.py')], cpu_cache, AUTORESEARCH_TIME_BUDGET_S=30, PYTHONPATH=ROOT)
    assert r.returncode == 1 and 'diverged' in r.stdout, r.stdout[-1500:] + r.stderr[-1500:]
    steps = [p['step'] for p in progress_lines(r.stdout)]
    assert not steps or steps[-1] < 50                  # it stopped at once, not after the 30 s budget
    assert '\n---\n' not in r.stdout   # no summary, so no val_bpb to be mistaken for a result
