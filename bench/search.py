"""Search: best val_bpb against experiments for our agents, random search and Optuna's TPE sampler, over the same
hyperparameter space, with the same harness, budgets, seeds, acceptance rule and self-evaluator.

    python bench/search.py [--budget 10] [--experiments 20] [--repeats 3] [--policies edit-ppo random tpe]

Random search and TPE draw a full configuration of train.py's constants from one grid (`policies.CPU_GRID`);
edit-ppo walks the same constants (and a few more) one typed edit at a time; lm-ppo (the LM agent) is run when
named, and is slow on a CPU (minutes per proposal). TPE is Optuna's own `TPESampler` driven through
ask / tell inside our campaign loop: each finished run is told its val_bpb, a run the self-evaluator aborted is
told PRUNED, a crash FAIL. Each repeat r runs one campaign per policy with seed r (the same baseline seeds;
acceptance confirmed with one extra seed). Sized to finish within an hour on the 2-core CPU with the defaults
(one repeat of the three policies took ~12 min).

Appends to bench/data/search.jsonl, writes search.csv (median best-so-far per policy after each experiment)
beside this script, and prints the table last. Repeats can be run in parts (`--first-seed 2 --repeats 1` adds
seed 2); `--report` runs nothing and builds the table from every record in the jsonl with the same budget and
number of experiments (the last record of each policy and seed wins).
"""
import argparse, csv, json, statistics, tempfile, time
from pathlib import Path
from autoresearch_rl.policies import Action, Policy, CPU_GRID, constants, set_constants

ROOT = Path(__file__).resolve().parents[1]

class OptunaTPE(Policy):
    "Optuna's TPE sampler over a grid of train.py constants, as a policy of our loop (ask in propose, tell in update)."
    name = 'tpe'
    def __init__(self, grid:dict=None, seed:int=0):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        self.optuna, self.grid = optuna, dict(grid or CPU_GRID)
        self.study = optuna.create_study(direction='minimize', sampler=optuna.samplers.TPESampler(seed=seed))
        self.open = {}

    def propose(self, state) -> Action:
        trial = self.study.ask()
        choice = {name: trial.suggest_categorical(name, values) for name, values in self.grid.items()}
        self.open[trial.number] = trial
        changed = {k: v for k, v in choice.items() if constants(state.best_code)[k][1] != v}
        desc = ', '.join(f'{k}={v}' for k, v in changed.items()) or 'no change'
        return Action(f'tpe: {desc}'[:300], set_constants(state.best_code, choice), 'tpe', dict(trial=trial.number))

    def update(self, batch) -> dict:
        TS = self.optuna.trial.TrialState
        for state, action, r, next_state in batch:
            trial = self.open.pop((action.info or {}).get('trial'), None)
            if trial is None: continue
            last = next_state.recent[-1]
            if last.status == 'ok' and last.val_bpb is not None: self.study.tell(trial, last.val_bpb)
            elif last.status == 'aborted': self.study.tell(trial, state=TS.PRUNED)
            else: self.study.tell(trial, state=TS.FAIL)
        return {}

def make_policy(name, seed):
    if name == 'tpe': return OptunaTPE(seed=seed)
    from autoresearch_rl.policies import POLICIES
    if name not in POLICIES: raise SystemExit(f'unknown policy {name!r}: choose from tpe, {", ".join(sorted(POLICIES))}')
    return POLICIES[name](seed, 'cpu')

def campaign(name, seed, args, runs_dir):
    import sys
    sys.path.insert(0, str(ROOT / 'bench'))
    from policy_compare import Timed
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate
    pol = Timed(make_policy(name, seed))
    cfg = CampaignConfig(tag=f'{name}-{seed}', runs_dir=runs_dir, budget_s=args.budget, seed=seed, baseline_seeds=2,
                         confirm_seeds=1, terminate=Terminate(max_experiments=args.experiments))
    camp = Campaign(pol, cfg)
    t0 = time.time()
    why = camp.run(progress_bar=False)
    if why == 'stop requested': camp.close(); raise SystemExit('stopped by a signal')
    rows = camp.ledger.rows()
    best, trace = None, []
    for r in rows:
        if r['kept'] and r['val_bpb'] is not None: best = r['val_bpb'] if best is None else min(best, r['val_bpb'])
        trace.append(best)
    rec = dict(policy=name, seed=seed, budget_s=args.budget, experiments=len(rows), wall_s=time.time() - t0,
               baseline=rows[0]['val_bpb'], best=best, best_trace=trace, kept=sum(bool(r['kept']) for r in rows[1:]),
               statuses=[r['status'] for r in rows], descriptions=[r['description'] for r in rows],
               propose_s=statistics.median(pol.propose_s) if pol.propose_s else None, date=time.strftime('%Y-%m-%d'))
    camp.close()
    return rec

def median_trace(recs, n):
    "Median over campaigns of the best-so-far after each experiment (index 0 = the baseline)."
    out = []
    for i in range(n):
        vals = [r['best_trace'][min(i, len(r['best_trace']) - 1)] for r in recs if r['best_trace']]
        vals = [v for v in vals if v is not None]
        out.append(statistics.median(vals) if vals else None)
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--budget', type=float, default=10)
    ap.add_argument('--experiments', type=int, default=20)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--first-seed', type=int, default=0)
    ap.add_argument('--policies', nargs='+', default=['edit-ppo', 'random', 'tpe'])
    ap.add_argument('--out', default=str(ROOT / 'bench' / 'data' / 'search.jsonl'))
    ap.add_argument('--report', action='store_true', help='run nothing: the table from the records in --out')
    args = ap.parse_args(argv)
    if args.report: return report(load(args.out, args), args.policies, args.experiments)
    for name in args.policies: make_policy(name, 0) if name != 'lm-ppo' else None   # a typo fails before any run
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    recs = []
    with tempfile.TemporaryDirectory() as runs_dir:
        for seed in range(args.first_seed, args.first_seed + args.repeats):
            for name in args.policies:             # interleaved: machine noise hits every policy alike
                rec = campaign(name, seed, args, runs_dir)
                recs.append(rec)
                with open(args.out, 'a') as f: f.write(json.dumps(rec) + '\n')
                print(f"{name} seed {seed}: baseline {rec['baseline']:.4f} best {rec['best']:.4f} kept {rec['kept']} "
                      f"wall {rec['wall_s']:.0f} s", flush=True)
    return report(recs, args.policies, args.experiments)

def load(path, args):
    "The records in `path` with this budget and number of experiments; a later record of a policy and seed replaces an earlier one."
    if not Path(path).exists(): raise SystemExit(f'{path}: no records yet; run without --report first')
    keep = {}
    for line in Path(path).read_text().splitlines():
        if not line.strip(): continue
        r = json.loads(line)
        if r['budget_s'] == args.budget and r['experiments'] == args.experiments: keep[r['policy'], r['seed']] = r
    if not keep: raise SystemExit(f'{path}: no record with --budget {args.budget:g} --experiments {args.experiments}')
    return list(keep.values())

def report(recs, policies, n):
    "Write search.csv and print the table of `recs` (median over campaigns per policy)."
    checkpoints = sorted({min(n - 1, k) for k in (n // 4, n // 2, 3 * n // 4, n - 1)})
    with open(ROOT / 'bench' / 'search.csv', 'w', newline='') as f:
        w = csv.writer(f); w.writerow(['policy', 'campaigns', 'experiment', 'median_best_val_bpb'])
        for name in policies:
            rs = [r for r in recs if r['policy'] == name]
            for i, v in enumerate(median_trace(rs, n)): w.writerow([name, len(rs), i, v])
    head = ' | '.join(f'best after {k} expts' for k in checkpoints)
    print(f'\n| policy | campaigns | {head} | gain over baseline | kept | aborted | wall s | s / proposal | wins |')
    print('|---|---|' + '---|' * len(checkpoints) + '---|---|---|---|---|---|')
    finals = {r['seed']: {} for r in recs}
    for r in recs: finals[r['seed']][r['policy']] = r['best']
    for name in policies:
        rs = [r for r in recs if r['policy'] == name]
        med = lambda xs: statistics.median(xs) if xs else float('nan')
        tr = median_trace(rs, n)
        wins = sum(1 for s, d in finals.items() if d.get(name) is not None and d[name] == min(v for v in d.values() if v is not None))
        cells = ' | '.join(f'{tr[k]:.4f}' if tr[k] is not None else '-' for k in checkpoints)
        print(f"| {name} | {len(rs)} | {cells} | {med([r['baseline'] - r['best'] for r in rs]):.4f} | "
              f"{med([r['kept'] for r in rs])} | {med([r['statuses'].count('aborted') for r in rs])} | "
              f"{med([r['wall_s'] for r in rs]):.0f} | {med([r['propose_s'] for r in rs if r['propose_s'] is not None]):.3f} | "
              f"{wins} of {len(finals)} |")
    return recs

if __name__ == '__main__': main()
