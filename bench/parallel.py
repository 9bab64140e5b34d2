"""Experiments in parallel (issue 23): real throughput with 1 vs 2 workers, and the asynchronous loop on the simulator.

    python bench/parallel.py --real [--experiments 8] [--budget 10]        # this machine: local and Ray, 1 vs 2 workers
    python bench/parallel.py --sim [--workers 1 8 32] [--repeats 10] [--experiments 200]
    python bench/parallel.py --report                                        # the tables from the files below

--real runs the same short campaign (random search, `cpu1` profile: one thread per experiment, cpu clock, the
self-evaluator off so every run is a full budget) four ways, one after the other in one process: the local executor
and the Ray executor, each with 1 and 2 workers. It reports experiments per wall-clock hour, the wall seconds per
experiment and what Ray adds to each experiment over the local executor (same workers). Appends to
bench/data/parallel_real.jsonl.

--sim runs real `Campaign`s (ledger, acceptance with one confirmation seed, the policy's updates, the
self-evaluator) over the benchmark of record with `SimExecutor(slots=K)`: K simulated workers, each run taking its
recorded total seconds, a proposal whenever one frees. Per campaign: the regret of the incumbent (its configuration's
true mean minus the best recorded configuration's) after each decision, against experiments and simulated hours,
and the staleness of each learnt transition (policy updates made between its proposal and its reward). Repeat r
uses campaign seed r and simulator seed r for every (policy, K): paired. Appends to bench/data/parallel_sim.jsonl
(resumable: a campaign already there is skipped). SIMULATED, on the record's 5 s budget.
"""
import argparse, json, os, random, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'bench'))
OUT_REAL = ROOT / 'bench' / 'data' / 'parallel_real.jsonl'
OUT_SIM = ROOT / 'bench' / 'data' / 'parallel_sim.jsonl'

def _append(path, rec):
    with open(path, 'a') as f: f.write(json.dumps(rec) + '\n')

# ---------------------------------------------------------------------------------------------------------------
# Real: this machine

def real_one(executor, workers, n, budget, runs_dir):
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate
    from autoresearch_rl.policies import RandomSearch
    from autoresearch_rl.runner import LocalExecutor
    tag = f'{executor}-{workers}'
    cfg = CampaignConfig(tag=tag, runs_dir=runs_dir, budget_s=budget, profile='cpu1', baseline_seeds=1, confirm_seeds=0,
                         selfeval=False, terminate=Terminate(max_experiments=n))
    ex, t_start = None, 0.0
    if executor == 'ray':
        from autoresearch_rl.distributed import RayExecutor
        ex = RayExecutor(workers=workers, cpus_per_worker=1)
    camp = Campaign(RandomSearch(seed=0), cfg, executor=ex)
    if executor == 'ray':
        t = time.time(); ex.start(); t_start = time.time() - t       # the cluster and its workers, paid once
    elif workers > 1: camp.executor = LocalExecutor(camp.runner_cfg, max_parallel=workers)
    t0 = time.time()
    why = camp.run(progress_bar=False)
    wall = time.time() - t0
    rows = camp.ledger.rows()
    camp.close()
    if ex is not None: ex.shutdown_workers()
    statuses = [r['status'] for r in rows]
    total = [r['timings']['total_s'] for r in rows if r.get('timings')]
    return dict(executor=executor, workers=workers, experiments=len(rows), budget_s=budget, wall_s=round(wall, 1),
                start_s=round(t_start, 1), per_hour=round(3600 * len(rows) / wall, 1), per_exp_wall_s=round(wall / len(rows), 2),
                run_total_s=round(statistics.mean(total), 2) if total else None, ok=statuses.count('ok'), why=why,
                cores=len(os.sched_getaffinity(0)), date=time.strftime('%Y-%m-%d %H:%M'))

def real(args):
    from frozen.prepare import prepare
    prepare('cpu1')
    runs = tempfile.mkdtemp(prefix='parallel-real-')
    for executor in ('local', 'ray'):
        for w in (1, 2):
            r = real_one(executor, w, args.experiments, args.budget, runs)
            _append(OUT_REAL, r); print(json.dumps(r), flush=True)
    try:
        import ray; ray.shutdown()
    except ImportError: pass

# ---------------------------------------------------------------------------------------------------------------
# Simulated: K workers

_W = {}

def _load(folder, budget):
    from autoresearch_rl.sim import BenchRecord, Surrogate
    record = BenchRecord.load(folder, (ROOT / 'train.py').read_text(), budget_s=budget)
    return record, Surrogate(record), min(record.means(min_seeds=3).values())

def _init(folder, budget):
    import logging, torch
    torch.set_num_threads(1)
    logging.getLogger('autoresearch_rl').setLevel(logging.ERROR)
    _W['record'], _W['surrogate'], _W['oracle'] = _load(folder, budget)
    _W['dir'] = tempfile.mkdtemp(prefix='parallel-sim-')

def sim_one(name, seed, workers, n, record, surrogate, oracle, runs_dir):
    from search import make_policy
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate
    from autoresearch_rl.sim import SimExecutor
    from sim_compare import true_value
    ex = SimExecutor(record, surrogate, seed=seed, slots=workers)
    pol = make_policy(name, seed)
    updates, stale = [0], []
    propose, update = pol.propose, pol.update
    def stamped(state):                                   # when each action was proposed, in policy updates
        a = propose(state); a.info = dict(a.info or {}, _at=updates[0]); return a
    def counted(batch):
        for (_, a, _, _) in batch: stale.append(updates[0] - (a.info or {}).get('_at', updates[0]))
        updates[0] += 1
        return update(batch)
    pol.propose, pol.update = stamped, counted
    cfg = CampaignConfig(tag=f'{name}-{workers}-{seed}', runs_dir=runs_dir, budget_s=record.budget_s, seed=seed,
                         baseline_seeds=2, confirm_seeds=1, selfeval=True, terminate=Terminate(max_experiments=n))
    hours, order = [], []
    class Clock:                                          # each decision: its id and the simulated clock then
        def on_experiment(self, camp, s): hours.append(ex.clock_s / 3600); order.append(s.index)
    t0 = time.time()
    camp = Campaign(pol, cfg, executor=ex, callbacks=[Clock()])
    camp.run(progress_bar=False)
    rows = {r['id']: r for r in camp.ledger.rows()}
    camp.close()
    # regret after each decision, in the order the decisions were made (ids are in proposal order)
    cache, regret, inc = {}, [], None
    for r in (rows[i] for i in order):
        if r['kept'] and r['val_bpb'] is not None: inc = true_value(record, surrogate, r['code'], cache)
        regret.append(None if inc is None else inc - oracle)
    return dict(policy=name, seed=seed, workers=workers, experiments=len(rows), regret=regret, hours=hours[:len(regret)],
                staleness=dict(mean=statistics.mean(stale) if stale else 0.0, max=max(stale) if stale else 0),
                kept=sum(bool(r['kept']) for r in rows.values()) - 1, wall_s=round(time.time() - t0, 2),
                record=dict(budget_s=record.budget_s, runs=sum(len(v) for v in record.by_key.values())),
                date=time.strftime('%Y-%m-%d %H:%M'))

def _work(job):
    name, seed, workers, n = job
    return sim_one(name, seed, workers, n, _W['record'], _W['surrogate'], _W['oracle'], _W['dir'])

def sim(args):
    from concurrent.futures import ProcessPoolExecutor
    recs = [json.loads(l) for l in OUT_SIM.read_text().splitlines() if l.strip()] if OUT_SIM.exists() else []
    record, _, _ = _load(args.record, args.budget)
    nruns = sum(len(v) for v in record.by_key.values())
    done = {(r['policy'], r['seed'], r['workers'], r['experiments'], r['record']['runs']) for r in recs}
    todo = [(p, s, w, args.experiments) for s in range(args.repeats) for w in args.workers for p in args.policies
            if (p, s, w, args.experiments, nruns) not in done]
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.record, args.budget)) as pool:
        for r in pool.map(_work, todo):
            _append(OUT_SIM, r)
            print(f"{r['policy']} K={r['workers']} seed {r['seed']}: final regret {r['regret'][-1]:.4f}, "
                  f"{r['hours'][-1]:.2f} sim h, staleness {r['staleness']['mean']:.1f}, {r['wall_s']:.0f} s", flush=True)

# ---------------------------------------------------------------------------------------------------------------

def boot_ci(xs, rng, b=2000):
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(b))
    return meds[int(0.025 * b)], meds[int(0.975 * b) - 1]

def regret_at_hours(r, h):
    "The incumbent's regret at simulated hour h (None before the first decision)."
    last = None
    for t, g in zip(r['hours'], r['regret']):
        if t > h: break
        last = g
    return last

def report(args):
    if OUT_REAL.exists():
        print('### Real: this machine\n')
        print('| executor | workers | experiments | budget s | wall s | experiments / h | wall s / experiment | start-up s (cluster, workers) |')
        print('|---|---|---|---|---|---|---|---|')
        for l in OUT_REAL.read_text().splitlines():
            r = json.loads(l)
            print(f"| {r['executor']} | {r['workers']} | {r['experiments']} | {r['budget_s']:g} | {r['wall_s']} | {r['per_hour']} | "
                  f"{r['per_exp_wall_s']} | {r['start_s'] or '-'} |")
        print()
    if not OUT_SIM.exists(): return
    recs = [json.loads(l) for l in OUT_SIM.read_text().splitlines() if l.strip()]
    rng = random.Random(0)
    n = args.experiments
    recs = [r for r in recs if r['experiments'] == n]
    print(f'### Simulated: {n} experiments, K workers (median regret [95% bootstrap CI], repeats)\n')
    ks = sorted({r['workers'] for r in recs})
    h1 = max(r['hours'][-1] for r in recs if r['workers'] == max(ks)) if recs else 0
    print(f'| policy | K | repeats | regret after {n // 2} exp | regret after {n} exp | sim hours for {n} | regret at {h1:.2f} sim h | staleness (mean, max) |')
    print('|---|---|---|---|---|---|---|---|')
    for p in sorted({r['policy'] for r in recs}):
        for k in ks:
            rs = [r for r in recs if r['policy'] == p and r['workers'] == k]
            if not rs: continue
            def cell(xs):
                xs = [x for x in xs if x is not None]
                if not xs: return '-'
                lo, hi = boot_ci(xs, rng); return f'{statistics.median(xs):.4f} [{lo:.4f}, {hi:.4f}]'
            print(f"| {p} | {k} | {len(rs)} | {cell([r['regret'][n // 2 - 1] for r in rs])} | {cell([r['regret'][-1] for r in rs])} | "
                  f"{statistics.median(r['hours'][-1] for r in rs):.2f} | {cell([regret_at_hours(r, h1) for r in rs])} | "
                  f"{statistics.mean(r['staleness']['mean'] for r in rs):.1f}, {max(r['staleness']['max'] for r in rs)} |")

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--real', action='store_true'); ap.add_argument('--sim', action='store_true'); ap.add_argument('--report', action='store_true')
    ap.add_argument('--experiments', type=int, default=None, help='per campaign (default 8 real, 200 simulated)')
    ap.add_argument('--budget', type=float, default=None, help='training seconds (default 10 real; the record\'s 5 simulated)')
    ap.add_argument('--workers', type=int, nargs='+', default=[1, 8, 32])
    ap.add_argument('--policies', nargs='+', default=['random', 'edit-ppo'])
    ap.add_argument('--repeats', type=int, default=10)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--record', default=str(ROOT / 'bench' / 'data' / 'record'))
    args = ap.parse_args(argv)
    if args.real:
        args.experiments, args.budget = args.experiments or 8, args.budget or 10.0
        real(args)
    if args.sim:
        args.experiments, args.budget = args.experiments or 200, args.budget or 5.0
        sim(args)
    if args.report or not (args.real or args.sim):
        args.experiments = args.experiments or 200
        report(args)

if __name__ == '__main__': main()
