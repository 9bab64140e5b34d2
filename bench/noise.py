"""How much a busy machine bends the budget: the unedited train.py through the runner, on several seeds, idle and
under a one-core and a two-core background load, with the wall clock and with the cpu clock (issue 17).

    python bench/noise.py [--budgets 60 10] [--seeds 0 1 2 3 4] [--loads 0 1 2] [--clocks wall cpu]
    python bench/noise.py --table            # the markdown table of what bench/data/noise.jsonl holds

Resumable and append-only: every finished run is one line of bench/data/noise.jsonl; a run already there (same
budget, clock, load, seed, machine and frozen version) is not run again, so the script can stop at any minute.
Runs are interleaved (seed outermost, then load, then clock) so that drift over the hours hits every cell alike.
The background load is `load` processes that spin on the CPU, started before a run and killed after it; they
sit outside the experiment's cgroup. The table gives, per cell: n, median and sd of val_bpb, the shift of the
median from the idle median of the same clock (also in idle sds), the median wall seconds a run took, and the
median training steps (the work done).
"""
import argparse, json, multiprocessing as mp, os, platform, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / 'bench' / 'data' / 'noise.jsonl'
sys.path.insert(0, str(ROOT))

def _spin():
    os.nice(0)
    while True: pass

def machine():
    try: model = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): model = platform.processor() or platform.machine()
    return f'{model} x{os.cpu_count()}'

def done_keys(path, mach, frozen_v):
    out = set()
    if path.exists():
        for line in path.read_text().splitlines():
            try: r = json.loads(line)
            except ValueError: continue
            if r.get('machine') == mach and r.get('frozen') == frozen_v:
                out.add((r['budget_s'], r['clock'], r['load'], r['seed']))
    return out

def one(budget, clock, load, seed):
    from autoresearch_rl.runner import RunnerConfig, run_experiment
    src = (ROOT / 'train.py').read_text()
    spinners = [mp.Process(target=_spin, daemon=True) for _ in range(load)]
    for p in spinners: p.start()
    time.sleep(0.5 if load else 0)
    try:
        t0 = time.time()
        o = run_experiment(src, RunnerConfig(budget_s=budget, clock=clock), seed=seed)
        wall = time.time() - t0
    finally:
        for p in spinners: p.kill()
        for p in spinners: p.join()
    return dict(status=o.status, val_bpb=o.val_bpb, reason=o.reason[:200], steps=o.steps, training_s=o.training_s,
                harness_training_s=o.harness_training_s, cpu_s=o.cpu_s, startup_s=o.startup_s, eval_s=o.eval_s,
                wall_s=round(wall, 2), clock_used=o.clock)

def table(path=DATA):
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.exists() else []
    by = {}
    for r in rows:
        if r['status'] == 'ok': by.setdefault((r['machine'], r['budget_s'], r['clock'], r['load']), []).append(r)
    lines = []
    for mach in sorted({k[0] for k in by}):
        lines += [f'machine: {mach}', '',
                  '| budget s | clock | background load | n | median val_bpb | sd | shift of median | shift / idle sd | median wall s | median steps |',
                  '|---|---|---|---|---|---|---|---|---|---|']
        for (m, b, c, load) in sorted(k for k in by if k[0] == mach):
            v = [r['val_bpb'] for r in by[(m, b, c, load)]]
            idle = [r['val_bpb'] for r in by.get((m, b, c, 0), [])]
            med, sd = statistics.median(v), statistics.stdev(v) if len(v) > 1 else float('nan')
            sd0 = statistics.stdev(idle) if len(idle) > 1 else float('nan')
            shift = med - statistics.median(idle) if idle else float('nan')
            wall = statistics.median(r['wall_s'] for r in by[(m, b, c, load)])
            steps = statistics.median(r['steps'] for r in by[(m, b, c, load)])
            lines.append(f'| {b:g} | {c} | {load} core{"s" if load != 1 else ""} | {len(v)} | {med:.4f} | {sd:.4f} | '
                         f'{shift:+.4f} | {shift / sd0:+.1f} | {wall:.0f} | {steps:.0f} |')
        lines.append('')
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--budgets', type=float, nargs='+', default=[60.0, 10.0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--loads', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--clocks', nargs='+', default=['wall', 'cpu'], choices=['wall', 'cpu'])
    ap.add_argument('--out', type=Path, default=DATA)
    ap.add_argument('--table', action='store_true', help='print the table of what --out holds, run nothing')
    args = ap.parse_args()
    if args.table: print(table(args.out)); return
    import frozen
    mach, frozen_v = machine(), frozen.verify()
    subprocess.run([sys.executable, '-m', 'frozen.prepare'], cwd=ROOT, check=True, capture_output=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = done_keys(args.out, mach, frozen_v)
    todo = [(b, c, l, s) for b in args.budgets for s in args.seeds for l in args.loads for c in args.clocks
            if (b, c, l, s) not in done]
    print(f'{len(done)} runs on record for this machine and frozen version, {len(todo)} to go', flush=True)
    for b, c, l, s in todo:
        res = one(b, c, l, s)
        rec = dict(budget_s=b, clock=c, load=l, seed=s, **res, machine=mach, frozen=frozen_v,
                   at=time.strftime('%Y-%m-%dT%H:%M:%S'))
        with open(args.out, 'a') as f: f.write(json.dumps(rec) + '\n')
        print(f"budget {b:g} clock {c} load {l} seed {s}: {res['status']} val_bpb {res['val_bpb']} "
              f"steps {res['steps']} wall {res['wall_s']:.0f} s", flush=True)
    print(table(args.out))

if __name__ == '__main__': main()
