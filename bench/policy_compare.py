"""Edit-catalogue PPO (`edit-ppo`) against random search, same budgets and seeds, on the cpu profile.

    python bench/policy_compare.py [--budget 10] [--experiments 30] [--repeats 3] [--policies edit-ppo random]

Each repeat r runs one campaign per policy with seed r: the same baseline seeds, the same acceptance rule
(confirm with one extra seed), the same self-evaluator, the same number of experiments. Records, per campaign,
the best (kept) val_bpb after each experiment, and the seconds each policy spent proposing and updating.
Appends to bench/data/policy_compare.jsonl and prints a table last. Campaigns go to a temporary folder.
"""
import argparse, json, statistics, tempfile, time
from pathlib import Path
from autoresearch_rl.policies import POLICIES
from autoresearch_rl.loop import Campaign, CampaignConfig
from autoresearch_rl.mdp import Terminate

ROOT = Path(__file__).resolve().parents[1]

class Timed:
    "Wraps a policy and times its propose and update calls."
    def __init__(self, policy):
        self.policy, self.name, self.propose_s, self.update_s = policy, policy.name, [], []
    def propose(self, state):
        t = time.perf_counter(); a = self.policy.propose(state); self.propose_s.append(time.perf_counter() - t); return a
    def update(self, batch):
        t = time.perf_counter(); s = self.policy.update(batch); self.update_s.append((time.perf_counter() - t, bool(s))); return s
    def state_dict(self): return self.policy.state_dict()
    def load_state_dict(self, blob): return self.policy.load_state_dict(blob)

def campaign(policy_name, seed, args, runs_dir):
    pol = Timed(POLICIES[policy_name](seed, 'cpu'))
    cfg = CampaignConfig(tag=f'{policy_name}-{seed}', runs_dir=runs_dir, budget_s=args.budget, seed=seed,
                         baseline_seeds=2, confirm_seeds=1, terminate=Terminate(max_experiments=args.experiments))
    camp = Campaign(pol, cfg)
    t0 = time.time()
    why = camp.run(progress_bar=False)
    if why == 'stop requested':                  # SIGINT/SIGTERM: the campaign stopped cleanly; so does the bench
        camp.close(); raise SystemExit('stopped by a signal')
    rows = camp.ledger.rows()
    best, trace = None, []
    for r in rows:
        if r['kept'] and r['val_bpb'] is not None: best = r['val_bpb'] if best is None else min(best, r['val_bpb'])
        trace.append(best)
    upd = [s for s, did in pol.update_s if did]
    rec = dict(policy=policy_name, seed=seed, budget_s=args.budget, experiments=len(rows), wall_s=time.time() - t0,
               baseline=rows[0]['val_bpb'], best=best, best_trace=trace,
               statuses=[r['status'] for r in rows], kept=sum(bool(r['kept']) for r in rows[1:]),
               descriptions=[r['description'] for r in rows],
               propose_s=statistics.median(pol.propose_s) if pol.propose_s else None,
               update_s=statistics.median(upd) if upd else None, n_updates=len(upd),
               date=time.strftime('%Y-%m-%d'))
    camp.close()
    return rec

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=10)
    ap.add_argument('--experiments', type=int, default=30)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--first-seed', type=int, default=0)
    ap.add_argument('--policies', nargs='+', default=['edit-ppo', 'random'])
    args = ap.parse_args()
    out = ROOT / 'bench' / 'data' / 'policy_compare.jsonl'
    out.parent.mkdir(exist_ok=True)
    recs = []
    with tempfile.TemporaryDirectory() as runs_dir:
        for seed in range(args.first_seed, args.first_seed + args.repeats):
            for name in args.policies:
                rec = campaign(name, seed, args, runs_dir)
                recs.append(rec)
                with open(out, 'a') as f: f.write(json.dumps(rec) + '\n')
                print(f"{name} seed {seed}: baseline {rec['baseline']:.4f} best {rec['best']:.4f} kept {rec['kept']} "
                      f"wall {rec['wall_s']:.0f}s propose {rec['propose_s']:.4f}s update {rec['update_s']}", flush=True)
    print('\n| policy | campaigns | best val_bpb median | gain over baseline median | kept median | s / proposal | s / PPO update |')
    print('|---|---|---|---|---|---|---|')
    for name in args.policies:
        rs = [r for r in recs if r['policy'] == name]
        med = lambda xs: statistics.median(xs) if xs else float('nan')
        upd = [r['update_s'] for r in rs if r['update_s'] is not None]
        upd_s = f'{med(upd):.4f}' if upd else '-'
        print(f"| {name} | {len(rs)} | {med([r['best'] for r in rs]):.4f} | {med([r['baseline'] - r['best'] for r in rs]):.4f} | "
              f"{med([r['kept'] for r in rs])} | {med([r['propose_s'] for r in rs]):.4f} | {upd_s} |")

if __name__ == '__main__': main()
