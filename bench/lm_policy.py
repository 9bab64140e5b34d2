"""The LM policy (SmolLM2-135M-Instruct + LoRA + PPO) measured on this CPU, beside random search.

    python bench/lm_policy.py --sim [--proposals 100] [--seeds 0 1] [--actions constant] [--temperature T]   # the simulator (issue 22)
    python bench/lm_policy.py --real [--proposals 16] [--budget 5] [--actions constant]    # one short real campaign

--sim runs campaigns through the real loop on the SimExecutor over the benchmark of record (5 s runs; a
configuration outside the record is predicted by the surrogate), so an experiment costs nothing and the policy's
own cost and learning are what is measured. Each seed runs the LM policy and, through the same loop, seeds and
number of experiments, random search over the same grid. Reported per campaign: the fraction of proposals that
applied and compiled, seconds per proposal (median), seconds per PPO update (median, max), and the mean reward
and the fraction of proposals whose val_bpb beat the baseline's, in the first 20 proposals (before PPO has updated
much) and in the last 20 (after at least 20 updates when --proposals >= 100).

--real is one short campaign with real training (the measurement the compare study's rows rest on).
Each run appends one record to bench/data/lm_policy.jsonl and prints it.
"""
import argparse, json, statistics, sys, tempfile, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

def window_stats(rows, base, first=True, n=20):
    "Mean reward and fraction beating the baseline over the first (or last) n proposals."
    props = [r for r in rows if r['kind'] == 'proposal']
    w = props[:n] if first else props[-n:]
    if not w: return dict(n=0)
    beat = [r for r in w if r['val_bpb'] is not None and r['val_bpb'] < base]
    return dict(n=len(w), mean_reward=statistics.fmean(r['reward'] or 0.0 for r in w), beat_baseline=len(beat) / len(w),
                applied=sum(r['status'] != 'syntax' for r in w) / len(w))

def campaign(policy, executor, budget, proposals, runs, tag):
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate
    camp = Campaign(policy, CampaignConfig(tag=tag, runs_dir=runs, budget_s=budget, baseline_seeds=3 if executor else 1,
                                           confirm_seeds=1 if executor else 0, selfeval=False,
                                           terminate=Terminate(max_experiments=proposals + 1)), executor=executor)
    t0 = time.time()
    why = camp.run(progress_bar=False)
    if why == 'stop requested': camp.close(); raise SystemExit('stopped by a signal')
    rows = camp.ledger.rows()
    camp.close()
    return rows, time.time() - t0

def summary(rows, wall_s, pol=None):
    base = next(r['val_bpb'] for r in rows if r['kind'] == 'baseline')
    props = [r for r in rows if r['kind'] == 'proposal']
    out = dict(proposals=len(props), applied=sum(r['status'] != 'syntax' for r in props) / max(1, len(props)),
               baseline=base, best=min(r['val_bpb'] for r in rows if r['val_bpb'] is not None), wall_s=round(wall_s, 1),
               first20=window_stats(rows, base, True), last20=window_stats(rows, base, False),
               distinct_edits=len({r['description'] for r in props}))
    if pol is not None and hasattr(pol, 'stats'):
        out.update(propose_s_median=statistics.median(pol.stats['propose_s']) if pol.stats['propose_s'] else None,
                   update_s_median=statistics.median(pol.stats['update_s']) if pol.stats['update_s'] else None,
                   update_s_max=max(pol.stats['update_s']) if pol.stats['update_s'] else None,
                   updates=pol.ppo.updates, last_stats=pol.last_stats)
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sim', action='store_true'); ap.add_argument('--real', action='store_true')
    ap.add_argument('--proposals', type=int, default=None)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0])
    ap.add_argument('--budget', type=float, default=5)
    ap.add_argument('--actions', choices=['constant', 'replace', 'diff'], default='constant')
    ap.add_argument('--max-new-tokens', type=int, default=256)
    ap.add_argument('--temperature', type=float, default=None, help='sampling temperature (default: LMPolicyConfig().temperature)')
    args = ap.parse_args(argv)
    if args.sim == args.real: raise SystemExit('choose --sim or --real')
    if args.sim and args.actions != 'constant':
        raise SystemExit(f'--sim scores configurations of literal constants (the record and its surrogate); --actions '
                         f'{args.actions} may write any expression, which it cannot score: use --actions constant, or --real')
    import torch; torch.set_num_threads(2)
    from autoresearch_rl.lm_policy import LMPolicy, LMPolicyConfig
    from autoresearch_rl.policies import RandomSearch
    warnings.simplefilter('ignore')
    proposals = args.proposals or (100 if args.sim else 16)
    out = ROOT / 'bench' / 'data' / 'lm_policy.jsonl'
    if args.sim:
        from autoresearch_rl.sim import BenchRecord, SimExecutor, Surrogate
        record = BenchRecord.load(ROOT / 'bench' / 'data' / 'record', budget_s=args.budget)
        surrogate = Surrogate(record)
    for seed in args.seeds:
        t0 = time.time()
        temp = {} if args.temperature is None else dict(temperature=args.temperature)
        pol = LMPolicy(LMPolicyConfig(max_new_tokens=args.max_new_tokens, resample=0, actions=args.actions, **temp), seed=seed)
        load_s = time.time() - t0
        rec = dict(date=time.strftime('%Y-%m-%d %H:%M'), mode='sim' if args.sim else 'real', actions=args.actions, seed=seed,
                   temperature=pol.cfg.temperature,
                   model='SmolLM2-135M-Instruct (gguf, fp32)', load_s=round(load_s, 1), budget_s=args.budget)
        with tempfile.TemporaryDirectory() as runs:
            ex = (lambda s: SimExecutor(record, surrogate, seed=s)) if args.sim else (lambda s: None)
            rows, wall = campaign(pol, ex(seed), args.budget, proposals, runs, f'lm-{seed}')
            rec['lm'] = summary(rows, wall, pol)
            rec['lm']['descriptions'] = [r['description'][:80] for r in rows if r['kind'] == 'proposal']
            if args.sim:
                rows, wall = campaign(RandomSearch(seed=seed), ex(seed), args.budget, proposals, runs, f'random-{seed}')
                rec['random'] = summary(rows, wall)
        with open(out, 'a') as f: f.write(json.dumps(rec) + '\n')
        print(json.dumps({k: v for k, v in rec.items()}, indent=1, default=str)[:4000], flush=True)

if __name__ == '__main__': main()
