"""Which budget for the benchmark of record (issue 19): at which short budget do the catalogue's edits stand above the seed noise?

    python bench/record_budget.py [--budgets 5 10 20] [--seeds 0 1 2]
    python bench/record_budget.py --table        # the table of what bench/data/record_budget.jsonl holds

The unedited train.py and six single catalogue edits chosen before any run (the AdamW rate halved and doubled,
one layer more, one head wider, a longer warm-down, Muon instead of AdamW), each on 3 seeds, through the real
runner on the cpu profile's budget clock, at each budget. Per budget the table gives the pooled seed sd (within a
configuration), the sd of the configurations' means, their ratio, and how many edits differ from the baseline by
more than two standard errors of a 3-seed vs 3-seed difference. Resumable and append-only
(bench/data/record_budget.jsonl, one line per run; a run already there for this machine is skipped); runs are
interleaved (seed outermost, then budget, then configuration) so that drift over time hits every cell alike.
"""
import argparse, json, math, statistics, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / 'bench' / 'data' / 'record_budget.jsonl'
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'bench'))
from record import machine          # one description of the machine for every record
EDITS = [('baseline', None), ('lr', 0.5), ('lr', 2.0), ('depth', 1), ('width', 1), ('warmdown', 0.7), ('optimizer', 'muon')]

def configs():
    "{name: (code, the constants the edit changed)} of the baseline and the six edits."
    from autoresearch_rl.edit_ppo import CATALOGUE
    from autoresearch_rl.policies import read_constants, write_constant
    from autoresearch_rl.diffs import apply_edits
    base = (ROOT / 'train.py').read_text()
    ops, out = {op.name: op for op in CATALOGUE}, {}
    for op, arg in EDITS:
        if op == 'baseline': out['baseline'] = (base, {}); continue
        changes = ops[op].changes(read_constants(base), arg)
        if not changes: raise SystemExit(f'edit {op}({arg}) does not apply to train.py: choose another')
        out[f'{op}({arg})'] = (apply_edits(base, [write_constant(base, k, v) for k, v in changes.items()]), changes)
    return out

def table(path=DATA):
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.exists() else []
    lines = []
    for mach in sorted({r['machine'] for r in rows}):
        lines += [f'machine: {mach}', '',
                  '| budget s | runs ok / all | seed sd (pooled) | sd of config means | ratio | edits beyond 2 SE of the baseline | median wall s per run |',
                  '|---|---|---|---|---|---|---|']
        for b in sorted({r['budget_s'] for r in rows if r['machine'] == mach}):
            these = [r for r in rows if r['machine'] == mach and r['budget_s'] == b]
            by = {}
            for r in these:
                if r['status'] == 'ok': by.setdefault(r['config'], []).append(r['val_bpb'])
            full = {k: v for k, v in by.items() if len(v) > 1}
            if 'baseline' not in full or len(full) < 2: continue
            pooled = math.sqrt(statistics.mean(statistics.variance(v) for v in full.values()))
            means = {k: statistics.mean(v) for k, v in full.items()}
            between = statistics.stdev(means.values())
            n = statistics.mean(len(v) for v in full.values())
            se = pooled * math.sqrt(2 / n)
            beyond = [k for k in means if k != 'baseline' and abs(means[k] - means['baseline']) > 2 * se]
            wall = statistics.median(r['wall_s'] for r in these)
            lines.append(f"| {b:g} | {sum(r['status'] == 'ok' for r in these)} / {len(these)} | {pooled:.4f} | {between:.4f} | "
                         f"{between / pooled:.1f} | {len(beyond)} of {len(full) - 1} ({', '.join(beyond) or 'none'}) | {wall:.0f} |")
        lines += ['', '| budget s | ' + ' | '.join(k for k, _ in [(f'{o}({a})' if a is not None else 'baseline', 0) for o, a in EDITS]) + ' |',
                  '|---|' + '---|' * len(EDITS)]
        for b in sorted({r['budget_s'] for r in rows if r['machine'] == mach}):
            cells = []
            for o, a in EDITS:
                k = f'{o}({a})' if a is not None else 'baseline'
                v = [r['val_bpb'] for r in rows if r['machine'] == mach and r['budget_s'] == b and r['config'] == k and r['status'] == 'ok']
                cells.append(f'{statistics.mean(v):.4f} ± {statistics.stdev(v):.4f} (n={len(v)})' if len(v) > 1 else
                             (f'{v[0]:.4f} (n=1)' if v else '-'))
            lines.append(f'| {b:g} | ' + ' | '.join(cells) + ' |')
        lines.append('')
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--budgets', type=float, nargs='+', default=[5.0, 10.0, 20.0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--table', action='store_true')
    args = ap.parse_args()
    if args.table: print(table()); return
    import frozen
    from autoresearch_rl.runner import RunnerConfig, run_experiment, warm_up
    mach, cfgs = machine(), configs()
    done = set()
    if DATA.exists():
        for line in DATA.read_text().splitlines():
            try: r = json.loads(line)
            except ValueError: continue
            if r.get('machine') == mach: done.add((r['budget_s'], r['config'], r['seed']))
    DATA.parent.mkdir(parents=True, exist_ok=True)
    warm_up(RunnerConfig())
    for seed in args.seeds:
        for b in args.budgets:
            for name, (code, changes) in cfgs.items():
                if (b, name, seed) in done: continue
                t0 = time.time()
                o = run_experiment(code, RunnerConfig(budget_s=b), seed=seed)
                r = dict(config=name, changes=changes, budget_s=b, seed=seed, status=o.status, val_bpb=o.val_bpb,
                         reason=o.reason[:200], steps=o.steps, training_s=o.training_s, cpu_s=o.cpu_s, clock=o.clock,
                         wall_s=round(time.time() - t0, 2), profile=frozen.PROFILE.name, profile_version=frozen.PROFILE.version,
                         machine=mach, when=time.strftime('%Y-%m-%d %H:%M'))
                with open(DATA, 'a') as f: f.write(json.dumps(r, default=str) + '\n')
                print(f"seed {seed} budget {b:g} {name}: {o.status} {o.val_bpb if o.val_bpb is None else round(o.val_bpb, 4)} "
                      f"({r['wall_s']:.0f} s)", flush=True)
    print(table())

if __name__ == '__main__': main()
