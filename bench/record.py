"""The benchmark of record (issue 19): real runs of train.py variants through the real runner, recorded once.

    python bench/record.py --budget 5 [--seeds 0 1 2] [--hours 2.5]   # record (resumes; skips what is done)
    python bench/record.py --status                                   # what is recorded, per tier
    python bench/record.py --compact                                  # move finished lines into a parquet part
    python bench/record.py --datasheet                                # write bench/data/record/DATASHEET.md from the data

What is run: train.py as committed (the baseline) and variants of it, each written by the edit catalogue's own
operators and constant editor (autoresearch_rl.edit_ppo.CATALOGUE), so a simulated campaign can look up any code
the edit-ppo, random or TPE policies propose within the record. A variant is keyed by the canonical constants that
differ from the baseline (`key`, a sorted JSON object, '{}' for the baseline). Tiers, recorded in this order:

  one   the baseline and every configuration one catalogue edit away (35 on the cpu profile)
  core  a factorial core over the constants that matter most: LR x DEPTH x MODEL_DIM x MLP_RATIO x WARMDOWN_FRAC
  grid  120 configurations drawn (seeded) from the grid that random search and TPE search (policies.CPU_GRID),
        every constant at once: where those policies propose, far from the baseline
  two   every other configuration two catalogue edits away, in a seeded random order (so a partial record is a
        uniform sample of the tier)

Each tier is recorded in blocks of 40 configurations, every seed of a block before the next block, seeds
interleaved inside a block so that drift over time hits each seed alike. One line per run in
bench/data/record/runs.jsonl (append-only); `--compact` moves the lines into bench/data/record/part-NNN.parquet.
Each run: its key and tier, seed, budget, status, trusted val_bpb, the loss curve thinned to at most 48 points
[(training s, loss)], steps, and the timings the runner measured (start-up, training, CPU, evaluation, total wall),
with the profile, clock, machine and torch version. Runs on another budget, profile version or clock are kept apart
(the key of "done" includes them), so a second budget can be recorded beside the first.
"""
import argparse, hashlib, json, os, platform, random, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIR = ROOT / 'bench' / 'data' / 'record'
LOG = DIR / 'runs.jsonl'
sys.path.insert(0, str(ROOT))
RECORD_VERSION = 1
BLOCK = 40
GRID_N = 120
CURVE_POINTS = 48
# the factorial core: the constants the budget bench and the earlier curve sets found to matter most
CORE = {'LR': (3e-3, 6e-3, 1.2e-2), 'DEPTH': (1, 2, 3), 'MODEL_DIM': (64, 128, 192), 'MLP_RATIO': (2, 4),
        'WARMDOWN_FRAC': (0.2, 0.5, 0.7)}

def machine():
    try: model = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): model = platform.processor() or platform.machine()
    return f'{model} x{os.cpu_count()}'

def render(base_code:str, changes:dict) -> str:
    "train.py with `changes` ({NAME: value}) written by the catalogue's constant editor."
    from autoresearch_rl.policies import write_constant
    from autoresearch_rl.diffs import apply_edits
    return apply_edits(base_code, [write_constant(base_code, k, v) for k, v in changes.items()]) if changes else base_code

def configurations(base_code:str, profile:str='cpu', seed:int=0) -> list:
    "[(tier, key, changes)] in recording order: the baseline and one-edit tier, the factorial core, the grid, the two-edit tier."
    from autoresearch_rl.edit_ppo import CATALOGUE, action_table
    from autoresearch_rl.policies import read_constants
    from autoresearch_rl.sim import canonical
    base = read_constants(base_code, profile)
    acts = action_table(CATALOGUE)
    out, seen = [], set()
    def add(tier, consts):
        k = canonical(consts, base)
        if k in seen: return False
        seen.add(k); out.append((tier, k, {n: v for n, v in consts.items() if base.get(n) != v})); return True
    add('one', base)
    ones = []
    for op, arg in acts:
        ch = op.changes(base, arg)
        if ch and add('one', dict(base, **ch)): ones.append(dict(base, **ch))
    import itertools
    for vals in itertools.product(*CORE.values()):
        c = dict(base, **dict(zip(CORE, vals)))
        if c['MODEL_DIM'] % c['HEAD_DIM'] == 0: add('core', c)
    import ast
    from autoresearch_rl.policies import CPU_GRID
    rng = random.Random(seed)
    for _ in range(GRID_N):
        add('grid', dict(base, **{k: ast.literal_eval(rng.choice(v)) for k, v in CPU_GRID.items()}))
    twos = []
    for c in ones:
        for op, arg in acts:
            ch = op.changes(c, arg)
            if ch:
                d = dict(c, **ch)
                k = canonical(d, base)
                if k not in seen and k != '{}': twos.append((k, d))
    uniq = dict(twos)
    order = sorted(uniq); random.Random(seed + 1).shuffle(order)
    for k in order: add('two', uniq[k])
    return out

def thin(curve, n=CURVE_POINTS):
    "At most `n` points of a [(t, loss)] curve, evenly spaced in index, the first and last kept."
    curve = [(round(float(t), 3), round(float(l), 5)) for t, l in curve]
    if len(curve) <= n: return curve
    idx = sorted({round(i * (len(curve) - 1) / (n - 1)) for i in range(n)})
    return [curve[i] for i in idx]

def read_all() -> list:
    "Every recorded run: the parquet parts, then the lines not compacted yet (a torn last line is skipped)."
    from autoresearch_rl.sim import read_record_rows
    return read_record_rows(DIR) if DIR.exists() else []

def done_key(r): return (r['key'], r['seed'], float(r['budget_s']), r['profile_version'], r['clock'])

def compact():
    "Move the lines of runs.jsonl into the next parquet part (written whole, then the lines removed)."
    import pyarrow as pa, pyarrow.parquet as pq
    if not LOG.exists(): print('nothing to compact'); return
    rows = []
    for line in LOG.read_text().splitlines():
        try: rows.append(json.loads(line))
        except ValueError: continue
    if not rows: print('nothing to compact'); return
    for r in rows: r['curve'] = json.dumps(r['curve']); r['changes'] = json.dumps(r['changes'])
    n = len(list(DIR.glob('part-*.parquet')))
    path = DIR / f'part-{n:03d}.parquet'
    tmp = path.with_suffix('.tmp')
    pq.write_table(pa.Table.from_pylist(rows), tmp, compression='zstd')
    os.replace(tmp, path)
    LOG.unlink()
    print(f'{len(rows)} runs -> {path} ({path.stat().st_size / 1024:.0f} KB)')

def status(cfgs):
    rows = read_all()
    by_tier = {}
    for tier, key, _ in cfgs: by_tier.setdefault(tier, set()).add(key)
    print(f'{len(rows)} runs recorded')
    for (b, pv, clock) in sorted({(float(r['budget_s']), r['profile_version'], r['clock']) for r in rows}):
        these = [r for r in rows if (float(r['budget_s']), r['profile_version'], r['clock']) == (b, pv, clock)]
        print(f'budget {b:g} s, profile version {pv}, {clock} clock: {len(these)} runs, '
              f'{sum(r["status"] == "ok" for r in these)} ok, wall {sum(r["wall_s"] for r in these) / 3600:.2f} h')
        for tier, keys in by_tier.items():
            seeds = {}
            for r in these:
                if r['key'] in keys: seeds.setdefault(r['key'], set()).add(r['seed'])
            full = sum(len(s) >= 3 for s in seeds.values())
            print(f'  {tier}: {len(keys)} configurations, {len(seeds)} with a run, {full} with 3 seeds')

def datasheet(cfgs, path=DIR / 'DATASHEET.md'):
    "The record's datasheet, written from the data itself: what was run, where, how long, on which clock, coverage, noise."
    import statistics
    from collections import Counter
    rows = read_all()
    if not rows: raise SystemExit('nothing recorded yet: run python bench/record.py first')
    tiers = Counter(t for t, _, _ in cfgs)
    tier_of = {k: t for t, k, _ in cfgs}
    L = ['# The benchmark of record: datasheet', '',
         'Written by `python bench/record.py --datasheet` from the recorded runs (do not edit by hand).', '',
         'What: real runs of train.py variants through the real runner (sandbox, trusted evaluator, the harness\'s',
         'budget clock), one run per (configuration, seed). A configuration is keyed by the constants that differ from',
         'the committed train.py (`key`). Recorded with `python bench/record.py --budget 5 --hours H` (resumable; run',
         'it again to go on), compacted with `--compact`. Tiers (see bench/record.py): ' +
         ', '.join(f'{t} {n} configurations' for t, n in tiers.items()) + f'; {sum(tiers.values())} in all, 3 seeds each.', '']
    for (b, pv, clock) in sorted({(float(r['budget_s']), r['profile_version'], r['clock']) for r in rows}):
        these = [r for r in rows if (float(r['budget_s']), r['profile_version'], r['clock']) == (b, pv, clock)]
        machines = Counter(r['machine'] for r in these)
        st = Counter(r['status'] for r in these)
        L += [f'## Budget {b:g} training seconds, profile {these[0]["profile"]} version {pv}, {clock} clock', '',
              f'- runs: {len(these)} ({", ".join(f"{k} {v}" for k, v in st.most_common())})',
              f'- recorded: {min(r["when"] for r in these)} to {max(r["when"] for r in these)}, '
              f'{sum(r["wall_s"] for r in these) / 3600:.2f} hours of wall time ({statistics.median(r["wall_s"] for r in these):.1f} s a run, median)',
              f'- machines: ' + '; '.join(f'{m} ({n} runs)' for m, n in machines.items()),
              f'- torch: {", ".join(sorted({r["torch"] for r in these}))}; record version {", ".join(sorted({str(r["record_version"]) for r in these}))}']
        by = {}
        for r in these: by.setdefault(r['key'], []).append(r)
        ok = {k: [r['val_bpb'] for r in v if r['status'] == 'ok'] for k, v in by.items()}
        groups = [v for v in ok.values() if len(v) > 1]
        if groups:
            pooled = (sum(statistics.variance(g) * (len(g) - 1) for g in groups) / sum(len(g) - 1 for g in groups)) ** 0.5
            L.append(f'- seed noise: pooled within-configuration sd {pooled:.4f} ({len(groups)} configurations with 2+ ok seeds)')
        if len(ok.get('{}', [])) > 1:
            L.append(f'- baseline: {statistics.mean(ok["{}"]):.4f} ± {statistics.stdev(ok["{}"]):.4f} (mean ± sd over {len(ok["{}"])} seeds)')
        means = {k: statistics.mean(v) for k, v in ok.items() if len(v) >= 3}
        if means:
            best = min(means, key=means.get)
            L.append(f'- best configuration with 3 ok seeds: {best} at {means[best]:.4f}; spread of configuration means '
                     f'(sd) {statistics.pstdev(means.values()):.4f} over {len(means)}')
        L += ['', '| tier | configurations | with a run | with 3 seeds | runs | not ok |', '|---|---:|---:|---:|---:|---:|']
        for t, n in tiers.items():
            keys = [k for k in by if tier_of.get(k) == t]
            L.append(f'| {t} | {n} | {len(keys)} | {sum(len({r["seed"] for r in by[k]}) >= 3 for k in keys)} | '
                     f'{sum(len(by[k]) for k in keys)} | {sum(r["status"] != "ok" for k in keys for r in by[k])} |')
        L.append('')
    path.write_text('\n'.join(L) + '\n')
    print(path.read_text())

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--budget', type=float, default=5.0, help='training seconds on the profile clock')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--hours', type=float, default=None, help='stop starting runs after this many hours')
    ap.add_argument('--tiers', nargs='+', default=['one', 'core', 'grid', 'two'])
    ap.add_argument('--status', action='store_true'); ap.add_argument('--compact', action='store_true')
    ap.add_argument('--datasheet', action='store_true')
    args = ap.parse_args()
    base_code = (ROOT / 'train.py').read_text()
    cfgs = configurations(base_code)
    if args.compact: return compact()
    if args.status: return status(cfgs)
    if args.datasheet: return datasheet(cfgs)
    import frozen, torch
    from autoresearch_rl.runner import RunnerConfig, run_experiment, warm_up
    cfg = RunnerConfig(budget_s=args.budget)
    mach = machine()
    done = {done_key(r) for r in read_all()}
    DIR.mkdir(parents=True, exist_ok=True)
    warm_up(cfg)
    t_end = time.time() + args.hours * 3600 if args.hours else None
    todo = [c for c in cfgs if c[0] in args.tiers]
    for i in range(0, len(todo), BLOCK):
        for seed in args.seeds:
            for tier, key, changes in todo[i:i + BLOCK]:
                if t_end and time.time() > t_end: print('out of hours: stopping'); return
                if (key, seed, float(args.budget), frozen.PROFILE.version, frozen.PROFILE.clock) in done: continue
                code = render(base_code, changes)
                t0 = time.time()
                o = run_experiment(code, cfg, seed=seed)
                r = dict(key=key, tier=tier, changes={k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()},
                         seed=seed, budget_s=float(args.budget), status=o.status, val_bpb=o.val_bpb, reason=o.reason[:200],
                         curve=thin(o.curve), curve_flag=o.curve_flag, steps=o.steps, training_s=o.training_s,
                         harness_training_s=o.harness_training_s, cpu_s=o.cpu_s, startup_s=o.startup_s, eval_s=o.eval_s,
                         total_s=o.total_s, wall_s=round(time.time() - t0, 2), peak_memory_mb=o.peak_memory_mb,
                         code_sha=hashlib.sha256(code.encode()).hexdigest()[:16], clock=o.clock,
                         profile=frozen.PROFILE.name, profile_version=frozen.PROFILE.version, machine=mach,
                         torch=torch.__version__, record_version=RECORD_VERSION, when=time.strftime('%Y-%m-%d %H:%M:%S'))
                with open(LOG, 'a') as f: f.write(json.dumps(r, default=str) + '\n'); f.flush(); os.fsync(f.fileno())
                done.add(done_key(r))
                print(f'{tier} seed {seed} {key}: {o.status} {"-" if o.val_bpb is None else f"{o.val_bpb:.4f}"} ({r["wall_s"]:.0f} s)', flush=True)

if __name__ == '__main__': main()
