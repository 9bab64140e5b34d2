"""Record real training curves of varied train.py edits, for measuring the self-evaluator offline.

    python bench/record_curves.py --n 32 --budget 60 --out bench/data/curves_cpu60.jsonl

Each record: the edit (constants changed), the progress curve [(elapsed_s, step, loss)], the final val_bpb from
frozen.finish (None when the run failed), status, and timings. Edits are drawn at random (seeded) from a grid
of train.py's UPPER_CASE constants, one to three at a time, including some that are bad on purpose (the
self-evaluator needs losers to abort). Runs already in the output file are skipped, so the script resumes.
"""
import argparse, json, os, random, re, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID = {
    'LR': ['1.5e-3', '3e-3', '1.2e-2', '2.4e-2', '6e-2'],
    'DEPTH': ['1', '3', '4'],
    'MODEL_DIM': ['64', '192', '256'],
    'BATCH_SIZE': ['4', '16'],
    'OPTIMIZER': ['"muon"'],
    'QK_NORM': ['True'],
    'WEIGHT_DECAY': ['0.0', '0.4'],
    'WARMDOWN_FRAC': ['0.0', '0.2', '0.8'],
    'WARMUP_FRAC': ['0.1'],
    'MLP_RATIO': ['2', '8'],
    'LOGIT_SOFTCAP': ['0.0', '5.0'],
    'ADAM_BETAS': ['(0.8, 0.99)'],
}

def edit(src, changes):
    for name, value in changes.items():
        src, n = re.subn(rf'^({name} = )[^#\n]*?(\s*#)', rf'\g<1>{value}\g<2>', src, count=1, flags=re.M)
        assert n == 1, name
    return src

def draw(rng):
    k = rng.choice([1, 1, 2, 2, 3])
    return {name: rng.choice(GRID[name]) for name in rng.sample(sorted(GRID), k)}

def run(src, budget, seed):
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / 'train.py'
        script.write_text(src)
        env = {**os.environ, 'AUTORESEARCH_TIME_BUDGET_S': str(budget), 'AUTORESEARCH_SEED': str(seed)}
        t0 = time.time()
        r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True)
    curve = [json.loads(l[11:]) for l in r.stdout.splitlines() if l.startswith('@@progress ')]
    summary = {}
    if '\n---\n' in r.stdout:
        for line in r.stdout.rsplit('\n---\n', 1)[1].splitlines():
            k, v = line.split(': ', 1)
            summary[k] = v
    return dict(status='ok' if r.returncode == 0 and 'val_bpb' in summary else f'exit {r.returncode}',
                val_bpb=float(summary['val_bpb']) if 'val_bpb' in summary else None,
                curve=[(c['elapsed_s'], c['step'], c['loss']) for c in curve], wall_s=round(time.time() - t0, 2),
                summary=summary, stderr_tail=r.stderr[-500:] if r.returncode else '')

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--budget', type=float, default=60)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--baselines', type=int, default=3, help='unedited runs (seeds 0..k-1) recorded first')
    ap.add_argument('--out', default='bench/data/curves_cpu60.jsonl')
    args = ap.parse_args()
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {json.loads(l)['index'] for l in out.read_text().splitlines()} if out.exists() else set()
    src = (ROOT / 'train.py').read_text()
    rng = random.Random(args.seed)
    plan = [dict(index=i, changes={}, seed=i) for i in range(args.baselines)]
    plan += [dict(index=args.baselines + i, changes=draw(rng), seed=0) for i in range(args.n)]
    for item in plan:
        if item['index'] in done: continue
        rec = dict(item, budget_s=args.budget, **run(edit(src, item['changes']), args.budget, item['seed']))
        with open(out, 'a') as f: f.write(json.dumps(rec) + '\n')
        print(f"{item['index']:3d} {rec['status']:8s} val_bpb={rec['val_bpb']} {item['changes']}", flush=True)

if __name__ == '__main__': main()
