"""The default train.py on the cpu profile: tokens/s and val_bpb over seeds, side by side in one run.

    python bench/train_baseline.py [--budget 60] [--seeds 0 1 2] [--variant NAME=SED ...]

Each run is a real `python train.py` subprocess with AUTORESEARCH_TIME_BUDGET_S and AUTORESEARCH_SEED set.
`--variant name='s/^LR = .*/LR = 6e-3/'` adds an edited copy of train.py, run on the same seeds, interleaved
with the baseline so that machine noise hits both alike. Prints a table last and writes train_baseline.csv.
"""
import argparse, csv, os, re, statistics, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def sed(src, expr):
    "Apply one `s/pattern/replacement/` expression (multi-line mode) to the source."
    _, pat, rep, _ = expr.split('/')
    out = re.sub(pat, rep, src, flags=re.M)
    if out == src: sys.exit(f'variant expression {expr!r} changed nothing in train.py')
    return out

def run(script, budget, seed):
    env = {**os.environ, 'AUTORESEARCH_TIME_BUDGET_S': str(budget), 'AUTORESEARCH_SEED': str(seed)}
    r = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0 or '\n---\n' not in r.stdout: return dict(status=f'exit {r.returncode}')
    out = dict(status='ok')
    for line in r.stdout.rsplit('\n---\n', 1)[1].splitlines():
        k, v = line.split(': ', 1)
        try: out[k] = float(v)
        except ValueError: out[k] = v
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=60)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--variant', action='append', default=[], help="NAME=s/regex/replacement/ (repeatable, ';'-joined)")
    args = ap.parse_args()
    src = (ROOT / 'train.py').read_text()
    scripts = {'baseline': ROOT / 'train.py'}
    tmp = Path(tempfile.mkdtemp(prefix='bench-'))  # frozen is importable from anywhere once installed (make install)
    for spec in args.variant:
        name, exprs = spec.split('=', 1)
        text = src
        for e in exprs.split(';'): text = sed(text, e)
        scripts[name] = tmp / f'{name}.py'
        scripts[name].write_text(text)
    rows = []
    try:
        for seed in args.seeds:
            for name, script in scripts.items():
                res = run(script, args.budget, seed)
                rows.append(dict(variant=name, seed=seed, **res))
                print(f"{name} seed={seed}: " + ', '.join(f'{k}={res.get(k)}' for k in
                      ('status', 'val_bpb', 'tokens_per_second', 'num_steps', 'startup_seconds', 'eval_seconds',
                       'total_seconds')), flush=True)
    finally:
        for p in tmp.iterdir(): p.unlink()
        tmp.rmdir()
    keys = ['variant', 'seed', 'status', 'val_bpb', 'tokens_per_second', 'num_steps', 'training_seconds',
            'startup_seconds', 'eval_seconds', 'total_seconds', 'peak_memory_mb']
    with open(ROOT / 'bench' / 'train_baseline.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, keys, extrasaction='ignore')
        w.writeheader()
        w.writerows(rows)
    print(f"\n| variant | runs ok | val_bpb median | val_bpb sd | tokens/s median | steps | start-up s | eval s | "
          f"duty cycle |\n|---|---|---|---|---|---|---|---|---|")
    for name in scripts:
        ok = [r for r in rows if r['variant'] == name and r['status'] == 'ok']
        if not ok:
            print(f'| {name} | 0 | | | | | | | |'); continue
        med = lambda k: statistics.median(r[k] for r in ok)
        sd = statistics.stdev([r['val_bpb'] for r in ok]) if len(ok) > 1 else float('nan')
        duty = statistics.median(r['training_seconds'] / r['total_seconds'] for r in ok)
        print(f"| {name} | {len(ok)}/{len([r for r in rows if r['variant'] == name])} | {med('val_bpb'):.4f} | "
              f"{sd:.4f} | {med('tokens_per_second'):.0f} | {med('num_steps'):.0f} | {med('startup_seconds'):.2f} | "
              f"{med('eval_seconds'):.2f} | {duty:.3f} |")

if __name__ == '__main__': main()
