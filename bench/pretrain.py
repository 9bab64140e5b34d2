"""Learning across campaigns (issue 21): edit-ppo pretrained on simulated campaigns, then evaluated from starting
configurations it never saw, beside edit-ppo from scratch, random search and TPE.

    python bench/pretrain.py --campaigns 120 [--experiments 100]            # pretrain -> bench/data/edit_ppo_pretrained.pt
    python bench/pretrain.py --evaluate --repeats 50 [--split held-out|pretrain]   # paired campaigns
    python bench/pretrain.py --report

The starting configurations are the record's configurations with at least 2 finished seeds, split by a hash of
their key: the **pretrain** half starts the pretraining campaigns; the **held-out** half (plus train.py as given,
which every other bench starts from) starts the evaluation. One EditPPO object runs the pretraining campaigns one
after another (each a real simulated `Campaign`: ledger, acceptance, rewards, self-evaluator), so its weights and
optimiser carry over; the evaluation's `edit-ppo-pre` starts every campaign from the saved weights
(`EditPPO(init=...)`, the CLI's `--policy-init`) and goes on learning online. Every campaign seed used in the
evaluation (0, 1, ...) differs from the pretraining's (10,000 on), and repeat r of every policy starts from the
same configuration with the same seed (paired).

Everything here is SIMULATED on the benchmark of record (5 training seconds on the cpu clock; the record holds one
budget, so a held-out budget cannot be tested on it). Appends to bench/data/pretrain.jsonl (pretraining campaigns)
and bench/data/pretrain_eval.jsonl (evaluation; resumable: a campaign already there is skipped).
"""
import argparse, hashlib, json, random, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'bench'))
DATA = ROOT / 'bench' / 'data'
WEIGHTS = DATA / 'edit_ppo_pretrained.pt'

def split_of(key):
    "'held-out' or 'pretrain', by a hash of the configuration's key (train.py as given is always held out)."
    if key is None: return 'held-out'
    return 'held-out' if hashlib.sha256(key.encode()).digest()[0] % 2 else 'pretrain'

def starts(record, split):
    "The starting configurations of `split`: recorded with >= 2 finished seeds, in a fixed order."
    ok = sorted(k for k, m in record.means(min_seeds=2).items() if k != record.key(record.base_code) and split_of(k) == split)
    return ([None] if split == 'held-out' else []) + ok

def pretrain(args, record, surrogate, oracle):
    from sim_compare import one_campaign
    from autoresearch_rl.edit_ppo import EditPPO
    import torch
    log = DATA / 'pretrain.jsonl'
    pool, rng = starts(record, 'pretrain'), random.Random(args.seed)
    print(f'{len(pool)} pretraining starts; {len(starts(record, "held-out"))} held-out', flush=True)
    pol, runs_dir = EditPPO(seed=args.seed), tempfile.mkdtemp(prefix='pretrain-')
    t0 = time.time()
    for i in range(args.campaigns):
        start = rng.choice(pool)
        pol.ppo.buffer = []          # a rollout does not cross campaigns (its bootstrap value belongs to the last one)
        r = one_campaign('edit-ppo-floor' if args.reward == 'floor' else 'edit-ppo', 10_000 + args.seed * 1000 + i, record,
                         surrogate, args.experiments, runs_dir, oracle, start=start, policy=pol)
        r.update(campaign=i, start=start, pretrain_seed=args.seed, reward=args.reward, out=Path(args.out).name)
        with open(log, 'a') as f: f.write(json.dumps(r) + '\n')
        print(f'pretraining campaign {i}: from {start}, final regret {r["regret"][-1]:.4f}, {r["kept"]} kept, {time.time() - t0:.0f} s', flush=True)
        if (i + 1) % 20 == 0 or i + 1 == args.campaigns:     # a checkpoint every 20 campaigns: a stopped run leaves weights
            pol.save_weights(args.out, campaigns=i + 1, experiments=args.experiments, seed=args.seed, reward=args.reward,
                             record_runs=sum(len(v) for v in record.by_key.values()), budget_s=record.budget_s,
                             date=time.strftime('%Y-%m-%d %H:%M'))
    print(f'wrote {args.out}', flush=True)

_W = {}

def _weights(args):
    "{policy: weights}: edit-ppo-pre from --out, edit-ppo-pre-floor from --out-floor."
    return {k: v for k, v in (('edit-ppo-pre', args.out), ('edit-ppo-pre-floor', args.out_floor)) if k in args.policies}

def _init(folder, budget, weights):
    import logging, torch
    from sim_compare import _load
    torch.set_num_threads(1)
    logging.getLogger('autoresearch_rl').setLevel(logging.ERROR)
    _W['record'], _W['surrogate'], _W['oracle'] = _load(folder, budget)
    _W['dir'], _W['weights'] = tempfile.mkdtemp(prefix='pretrain-eval-'), weights   # {policy name: weights path}

def _work(job):
    from sim_compare import one_campaign
    name, seed, n, start, split = job
    pol = None
    weights = _W['weights'].get(name)
    if weights:                  # edit-ppo-pre (paper rewards) or edit-ppo-pre-floor (failure floor), from their weights
        from autoresearch_rl.edit_ppo import EditPPO
        pol = EditPPO(seed=seed, init=weights)
    r = one_campaign(name, seed, _W['record'], _W['surrogate'], n, _W['dir'], _W['oracle'], start=start, policy=pol)
    r.update(policy=name, start=start, split=split,
             weights=hashlib.sha256(Path(weights).read_bytes()).hexdigest()[:12] if weights else None)
    return r

def evaluate(args, record):
    from concurrent.futures import ProcessPoolExecutor
    out = DATA / 'pretrain_eval.jsonl'
    recs = [json.loads(l) for l in out.read_text().splitlines() if l.strip()] if out.exists() else []
    weights = _weights(args)
    wh = {k: hashlib.sha256(Path(v).read_bytes()).hexdigest()[:12] for k, v in weights.items()}
    done = {(r['policy'], r['seed'], r['split'], r['experiments'], r['weights']) for r in recs}
    pool = starts(record, args.split)
    jobs = []
    for seed in range(args.first_seed, args.first_seed + args.repeats):
        start = pool[random.Random(seed).randrange(len(pool))] if seed % 4 else (None if args.split == 'held-out' else pool[seed % len(pool)])
        for name in args.policies:
            if (name, seed, args.split, args.experiments, wh.get(name)) not in done:
                jobs.append((name, seed, args.experiments, start, args.split))
    t0 = time.time()
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.record, args.budget, weights)) as ex:
        for r in ex.map(_work, jobs):
            with open(out, 'a') as f: f.write(json.dumps(r) + '\n')
            print(f"{r['policy']} seed {r['seed']} ({r['split']}): final regret {r['regret'][-1]}, {r['kept']} kept, {r['wall_s']:.0f} s", flush=True)
    print(f'{len(jobs)} campaigns in {time.time() - t0:.0f} s', flush=True)

def report(args):
    from scipy.stats import wilcoxon
    from sim_compare import boot_ci
    recs = [json.loads(l) for l in (DATA / 'pretrain_eval.jsonl').read_text().splitlines() if l.strip()]
    wh = {k: hashlib.sha256(Path(v).read_bytes()).hexdigest()[:12] for k, v in _weights(args).items()}
    recs = [r for r in recs if r['experiments'] == args.experiments and r['weights'] == wh.get(r['policy'])]
    rng = random.Random(0)
    for split in ('held-out', 'pretrain'):
        by = {p: {r['seed']: r for r in recs if r['policy'] == p and r['split'] == split} for p in args.policies}
        seeds = sorted(set.intersection(*[set(v) for v in by.values()]))
        # a start whose baseline draw did not finish has no incumbent (regret None) for any policy: left out, counted
        failed = [s for s in seeds if any(by[p][s]['regret'][-1] is None for p in args.policies)]
        seeds = [s for s in seeds if s not in failed]
        if not seeds: continue
        if failed: print(f'\n{len(failed)} repeats left out: their baseline did not finish (seeds {failed})')
        print(f'\n{split} starts: {len(seeds)} paired repeats of {args.experiments} experiments (SIMULATED)\n')
        print('| policy | final regret, median [95% CI] | mean | avg rank |'); print('|---|---|---|---|')
        final = {p: [by[p][s]['regret'][-1] for s in seeds] for p in args.policies}
        for p in args.policies:
            rk = [1 + sum(final[q][i] < final[p][i] for q in args.policies) + 0.5 * (sum(final[q][i] == final[p][i] for q in args.policies) - 1) for i in range(len(seeds))]
            lo, hi = boot_ci(final[p], rng)
            print(f'| {p} | {statistics.median(final[p]):.4f} [{lo:.4f}, {hi:.4f}] | {statistics.mean(final[p]):.4f} | {statistics.mean(rk):.2f} |')
        print('\n| pair | median difference | p (paired Wilcoxon) |'); print('|---|---|---|')
        for i, a in enumerate(args.policies):
            for b in args.policies[i + 1:]:
                d = [x - y for x, y in zip(final[a], final[b])]
                print(f'| {a} vs {b} | {statistics.median(d):+.4f} | {wilcoxon(d).pvalue if any(d) else 1.0:.3g} |')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--campaigns', type=int, default=120, help='pretraining campaigns')
    ap.add_argument('--experiments', type=int, default=100)
    ap.add_argument('--seed', type=int, default=0, help='pretraining seed')
    ap.add_argument('--out', default=str(WEIGHTS), help='the pretrained weights')
    ap.add_argument('--reward', default='paper', choices=['paper', 'floor'],
                    help="pretraining rewards: the paper's, or RewardConfig(failure_floor=True)")
    ap.add_argument('--out-floor', default=str(WEIGHTS.with_name('edit_ppo_pretrained_floor.pt')),
                    help='the weights edit-ppo-pre-floor starts from (pretrained with --reward floor)')
    ap.add_argument('--evaluate', action='store_true')
    ap.add_argument('--report', action='store_true')
    ap.add_argument('--split', default='held-out', choices=['held-out', 'pretrain'])
    ap.add_argument('--repeats', type=int, default=50)
    ap.add_argument('--first-seed', type=int, default=0)
    ap.add_argument('--policies', nargs='+', default=['edit-ppo-pre', 'edit-ppo', 'random', 'tpe'])
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--budget', type=float, default=5.0)
    ap.add_argument('--record', default=str(DATA / 'record'))
    args = ap.parse_args(argv)
    if args.report: return report(args)
    from sim_compare import _load
    record, surrogate, oracle = _load(args.record, args.budget)
    if args.evaluate: return evaluate(args, record)
    pretrain(args, record, surrogate, oracle)

if __name__ == '__main__': main()
