"""The loop's own cost per experiment as a campaign grows: bookkeeping seconds at 10, 1,000 and 10,000 recorded experiments.

    python bench/bookkeeping.py [--sizes 10 1000 10000] [--steps 30] [--points 1500]
    PYTHONPATH=/tmp/old python bench/bookkeeping.py --code cf0287f --sizes 10 300 1000 --steps 5   # an earlier version

For each size N a campaign's ledger is filled with N done experiments (the real train.py with one constant
varied, realistic 1,500-point curves, one kept in ten), then a `Campaign` opens it and runs `--steps` more
iterations of the real loop (self-evaluator built, acceptance, reward, ledger writes, git keep/revert, policy
state saved) with a `StoredExecutor` that returns stored outcomes instead of training. Bookkeeping is each step's
seconds minus the policy's propose and update and minus the executor: what the harness itself spends.
Opening (the one read of the ledger) is timed apart. Appends to bench/data/bookkeeping.jsonl; prints a table.
Campaigns go to a temporary folder.
"""
import argparse, json, math, platform, random, statistics, tempfile, time
from pathlib import Path
from autoresearch_rl.loop import Campaign, CampaignConfig
from autoresearch_rl.ledger import Ledger, GitBranch
from autoresearch_rl.policies import RandomSearch
from autoresearch_rl.runner import Outcome

ROOT = Path(__file__).resolve().parents[1]

class Timed:
    "A policy whose propose and update seconds are counted (they are the policy's cost, not the loop's)."
    def __init__(self, policy): self.policy, self.name, self.spent = policy, policy.name, 0.0
    def propose(self, state):
        t = time.perf_counter(); a = self.policy.propose(state); self.spent += time.perf_counter() - t; return a
    def update(self, batch):
        t = time.perf_counter(); s = self.policy.update(batch); self.spent += time.perf_counter() - t; return s
    def state_dict(self):
        t = time.perf_counter(); b = self.policy.state_dict(); self.spent += time.perf_counter() - t; return b
    def load_state_dict(self, blob): return self.policy.load_state_dict(blob)

def curve(rng, points, budget_s):
    "A training curve like the cpu profile's: loss falling as a power law with noise."
    return [(budget_s * (k + 1) / points, 2.0 + 3.5 * ((k + 1) / points) ** -0.35 / 10 + rng.gauss(0, 0.02))
            for k in range(points)]

class Executor:
    """Stored outcomes drawn around the baseline (as autoresearch_rl.runner.StoredExecutor, written out here so that
    the same bench runs on an earlier version of the loop: `--code` below); the seconds it spends are counted apart."""
    def __init__(self, rng, points, budget_s):
        self.rng, self.points, self.budget_s, self.spent = rng, points, budget_s, 0.0
    def submit(self, source, seed=0, selfeval=None, callbacks=()):
        from concurrent.futures import Future
        t = time.perf_counter()
        o = Outcome('ok', 2.45 + self.rng.gauss(0, 0.03), curve=curve(self.rng, self.points, self.budget_s),
                    training_s=self.budget_s, peak_memory_mb=300.0, seed=seed)
        job = Future(); job.set_result(o)
        self.spent += time.perf_counter() - t
        return job
    def wait(self, job, timeout=None): return job.result()

def _propose(led, code, desc, kind):
    try: return led.propose(code, '', desc, 'random', kind=kind)
    except TypeError: return led.propose(code, '', desc, 'random')          # a ledger from before the kind column

def prefill(camp_dir, n, points, budget_s, rng):
    "N done experiments written straight into a campaign's ledger (a campaign is opened on it after)."
    code = (ROOT / 'train.py').read_text()
    led = Ledger(camp_dir / 'ledger.db')
    led.db.execute('PRAGMA synchronous=OFF')              # filling only: the campaign writes with full sync
    for i in range(n):
        c = code.replace('LR = 6e-3', f'LR = {1e-3 * (1 + i % 50):.3g}') if i else code
        e = _propose(led, c, 'baseline' if i == 0 else f'LR variant {i}', 'baseline' if i == 0 else 'proposal')
        v = 2.45 + rng.gauss(0, 0.03)
        led.finish(e, 'ok', v, 0.0, {}, kept=(i == 0), seeds=[0, 1] if i == 0 else [0],
                   seed_bpbs=[v, v + 0.01] if i == 0 else [v], curve=curve(rng, points, budget_s),
                   timings=dict(training_s=budget_s), outcome=dict(status='ok', peak_memory_mb=300.0))
        if i == 0: led.set_meta('noise_sd', 0.007)
    led.close()

def measure(n, steps, points, workdir):
    rng, budget_s = random.Random(n), 60.0
    runs = Path(workdir) / f'n{n}'
    cfg = CampaignConfig(tag='book', runs_dir=str(runs), budget_s=budget_s, baseline_seeds=2, confirm_seeds=1)
    Campaign(RandomSearch(seed=0), cfg, executor=Executor(rng, 4, budget_s)).close()   # repo + identity
    t = time.perf_counter(); prefill(runs / 'book', n, points, budget_s, rng); fill_s = time.perf_counter() - t
    pol, ex = Timed(RandomSearch(seed=n)), Executor(rng, points, budget_s)
    t = time.perf_counter(); camp = Campaign(pol, cfg, executor=ex); open_s = time.perf_counter() - t
    assert len(camp.history()) == n, (len(camp.history()), n)
    per = []
    for _ in range(steps):
        p0, e0, t0 = pol.spent, ex.spent, time.perf_counter()
        camp.step()
        per.append(time.perf_counter() - t0 - (pol.spent - p0) - (ex.spent - e0))
    kept = sum(bool(r['kept']) for r in camp.ledger.rows())
    camp.close()
    return dict(n=n, steps=steps, points=points, fill_s=round(fill_s, 2), open_s=round(open_s, 3),
                median_s=statistics.median(per), mean_s=statistics.mean(per), sd_s=statistics.stdev(per),
                max_s=max(per), kept=kept)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sizes', type=int, nargs='+', default=[10, 1000, 10000])
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--points', type=int, default=1500)
    ap.add_argument('--code', default='current', help="a label for the version of autoresearch_rl measured (put an earlier "
                    "checkout first on PYTHONPATH to measure it, e.g. --code cf0287f)")
    args = ap.parse_args()
    out = ROOT / 'bench' / 'data' / 'bookkeeping.jsonl'
    out.parent.mkdir(parents=True, exist_ok=True)
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            r = measure(n, args.steps, args.points, tmp) | dict(code=args.code, when=time.strftime('%Y-%m-%d %H:%M'), machine=platform.machine(),
                                                                   cores=len(__import__('os').sched_getaffinity(0)))
            res.append(r)
            with open(out, 'a') as f: f.write(json.dumps(r) + '\n')
            print(f"N={n:>6}: bookkeeping per experiment median {r['median_s'] * 1e3:.1f} ms (mean {r['mean_s'] * 1e3:.1f}, "
                  f"sd {r['sd_s'] * 1e3:.1f}, max {r['max_s'] * 1e3:.1f}, {r['steps']} steps); open {r['open_s']:.2f} s", flush=True)
    base = res[0]['median_s']
    print('\n| recorded experiments | bookkeeping per experiment, median (ms) | mean ± sd (ms) | ratio to the smallest | opening (s) |')
    print('|---:|---:|---:|---:|---:|')
    for r in res:
        print(f"| {r['n']:,} | {r['median_s'] * 1e3:.1f} | {r['mean_s'] * 1e3:.1f} ± {r['sd_s'] * 1e3:.1f} | "
              f"{r['median_s'] / base:.2f} | {r['open_s']:.2f} |")

if __name__ == '__main__': main()
