"""Duty cycle: training seconds over campaign wall seconds, per policy, at the cpu profile. Everything else is
overhead: proposing, the PPO update, start-up, export, the trusted evaluation, git and the ledger.

    python bench/duty_cycle.py [--budget 60] [--experiments 8] [--policies edit-ppo random] [--ledgers DIR ...]

Runs one fresh campaign per policy (baseline on 2 seeds, acceptance confirmed with 1 more, self-evaluator on,
the fork server and the warm evaluator started before the first run as a campaign does), and splits its wall
clock: training (the budget each run used, aborted runs included), runner overhead (per run: start-up, export,
trusted evaluation, exit), policy (propose + update, timed around the calls) and bookkeeping (the rest: git,
ledger, state). `--ledgers` adds finished campaigns (e.g. figures/compare/ledgers/*) split from their ledgers
alone (policy and bookkeeping together). Beside them, autoresearch's published per-experiment ratio (300.1 s of
training in 325.9 s; 0.92, before any agent time). Prints the table last and writes duty_cycle.csv beside it.
"""
import argparse, csv, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'bench'))

def split(rows, wall_s, policy_s=None):
    "Seconds of training, runner overhead, policy and bookkeeping in a campaign's rows and wall clock."
    runs = [r for r in rows if r.get('timings')]
    training = sum(r['timings'].get('training_s') or 0 for r in runs)
    total = sum(r['timings'].get('total_s') or 0 for r in runs)
    evals = sum(r['timings'].get('eval_s') or 0 for r in runs)
    rest = wall_s - total
    out = dict(experiments=len(rows), aborted=sum(r['status'] == 'aborted' for r in rows), wall_s=wall_s,
               training_s=training, runner_s=total - training, eval_s=evals,
               policy_s=policy_s, bookkeeping_s=rest - policy_s if policy_s is not None else None,
               other_s=rest, duty_cycle=training / wall_s if wall_s else float('nan'),
               per_run_duty_cycle=training / total if total else float('nan'))
    return out

def fresh(name, seed, args, runs_dir):
    from policy_compare import Timed
    from autoresearch_rl.policies import POLICIES
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate
    pol = Timed(POLICIES[name](seed, 'cpu'))
    cfg = CampaignConfig(tag=f'duty-{name}-{seed}', runs_dir=runs_dir, budget_s=args.budget, seed=seed, baseline_seeds=2,
                         confirm_seeds=1, terminate=Terminate(max_experiments=args.experiments))
    camp = Campaign(pol, cfg)
    why = camp.run(progress_bar=False)
    if why == 'stop requested': camp.close(); raise SystemExit('stopped by a signal')
    camp._save_wall()
    rows, wall = camp.ledger.rows(), camp.ledger.get_meta('wall_s')
    camp.close()
    return dict(source=f'{name} (fresh, {args.budget:g} s budget)', **split(rows, wall, sum(pol.propose_s) + sum(s for s, _ in pol.update_s)))

def from_ledger(path):
    from autoresearch_rl.report import load_campaign, label
    rec = load_campaign(path)
    return dict(source=f'{rec.tag} (ledger)', **split(rec.rows, rec.wall_s))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--budget', type=float, default=60, help='training seconds per run (the cpu profile: 60)')
    ap.add_argument('--experiments', type=int, default=8)
    ap.add_argument('--policies', nargs='*', default=['edit-ppo', 'random'])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--ledgers', nargs='*', default=[], help='campaign folders (or ledger.db files) to split as well')
    ap.add_argument('--out', default=str(ROOT / 'bench' / 'duty_cycle.csv'))
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as runs_dir:
        for name in args.policies:
            rows.append(fresh(name, args.seed, args, runs_dir))
            print({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()}, flush=True)
    for path in args.ledgers: rows.append(from_ledger(path))
    rows.append(dict(source="autoresearch (Karpathy), published per-experiment ratio", experiments=1, aborted=0,
                     wall_s=325.9, training_s=300.1, runner_s=25.8, eval_s=None, policy_s=None, bookkeeping_s=None,
                     other_s=None, duty_cycle=None, per_run_duty_cycle=300.1 / 325.9))
    with open(args.out, 'w', newline='') as f:
        w = csv.DictWriter(f, list(rows[0])); w.writeheader(); w.writerows(rows)
    f = lambda v, d=1: '-' if v is None else (f'{v:.{d}f}' if isinstance(v, float) else str(v))
    print('\n| campaign | expts | aborted | wall s | training s | runner s (eval s) | policy s | bookkeeping s | per-run duty cycle | campaign duty cycle |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        pb = (f(r['policy_s']), f(r['bookkeeping_s'])) if r['policy_s'] is not None else ('-', f"{f(r['other_s'])} (with policy)" if r['other_s'] is not None else '-')
        print(f"| {r['source']} | {r['experiments']} | {r['aborted']} | {f(r['wall_s'])} | {f(r['training_s'])} | "
              f"{f(r['runner_s'])} ({f(r['eval_s'])}) | {pb[0]} | {pb[1]} | {f(r['per_run_duty_cycle'], 3)} | "
              f"{f(r['duty_cycle'], 3)} |")
    return rows

if __name__ == '__main__': main()
