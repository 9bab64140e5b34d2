"""Early abort on recorded real training curves: our self-evaluator (the paper's power-law forecaster and the
reference-curve forecaster, each with Wald's cumulative SPRT) against Optuna's pruners (Median, Percentile,
Hyperband, Wilcoxon) fed the same curves, in the same order, through Optuna's own ask / report / should_prune /
tell API.

    python bench/early_abort.py [--curves bench/data/curves_cpu60.jsonl] [--ledger figures/compare/ledgers/compare-edit-ppo-no-se]

Every method sees a run's training loss as it arrives and only the runs it let finish as history (a pruned run's
final val_bpb is never revealed to it). Decisions happen on one schedule for all: checkpoints every budget/8,
none before 20% of the budget (our `min_progress`; Optuna's first report is at 25%) and none before 3 finished runs
(our `min_history`; Optuna `n_startup_trials=3`). Optuna's intermediate value at a checkpoint is the mean training
loss over the last budget/10 seconds (what our reference forecaster smooths over, too).

Scored against one oracle for every method: run i (from the 4th on) is *bad* when its final val_bpb exceeds
τ_i = best of all earlier finals + σ, σ the seed-to-seed sd of the unedited train.py (eq. 7 with α = 1, the
noise σ rather than the spread of different configurations); a *false abort* stops a run that is not bad; a
*lost best* stops a run that would have been a new best (no threshold involved). Compute saved =
1 - (budget used / budget of the judged runs); G = judged runs / budgets used (eq. 9 measured).
Prints the table last and writes early_abort.csv beside this script.
"""
import argparse, csv, json, math, statistics, warnings
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent
CHECKS = 8                 # checkpoints per run: every budget / 8
MIN_HISTORY = 3           # finished runs before any abort (our min_history; Optuna's n_startup_trials)
FIRST_CHECK = 2           # first checkpoint reported: 2/8 = 25% of the budget (ours: no decision before 20%)

def load_jsonl(path):
    "Runs of bench/record_curves.py: curve points are (elapsed_s, step, loss)."
    runs = []
    for line in Path(path).read_text().splitlines():
        r = json.loads(line)
        if r.get('val_bpb') is None or len(r['curve']) < 4: continue
        runs.append(dict(baseline=not r['changes'], t=[c[0] for c in r['curve']], loss=[c[2] for c in r['curve']], val_bpb=r['val_bpb'], budget_s=r['budget_s']))
    return runs

def load_ledger(path, budget_s):
    "Finished experiments of a campaign ledger (curve points (elapsed_s, loss)); aborted or crashed runs are left out."
    from autoresearch_rl.report import load_campaign
    rec = load_campaign(path)
    return rec.noise_sd, [dict(t=[c[0] for c in r['curve']], loss=[c[-1] for c in r['curve']], val_bpb=r['val_bpb'], budget_s=budget_s)
            for r in rec.rows if r['status'] == 'ok' and r['val_bpb'] is not None and len(r['curve'] or []) >= 4]

def seed_sd(runs):
    "Seed-to-seed sd of the unedited train.py's runs in a record of bench/record_curves.py."
    return statistics.stdev([r['val_bpb'] for r in runs if r.get('baseline')])

def oracle(runs, sigma):
    "Per run: (judged, bad, would be a new best) against the full record of earlier finals."
    out = []
    for i, r in enumerate(runs):
        prev = [p['val_bpb'] for p in runs[:i]]
        if len(prev) < MIN_HISTORY: out.append((False, False, False)); continue
        tau = min(prev) + sigma
        out.append((True, r['val_bpb'] > tau, r['val_bpb'] < min(prev)))
    return out

def window_mean(t, loss, t_at, width):
    t, loss = np.asarray(t), np.asarray(loss)
    sel = (t <= t_at) & (t > t_at - width)
    return float(loss[sel].mean()) if sel.any() else float(loss[t <= t_at][-1])

def ours(runs, method):
    "Abort point (fraction of budget, 1.0 = ran to the end) per run, from the self-evaluator replay."
    from autoresearch_rl.selfeval import SEConfig, replay_campaign
    rows = replay_campaign([dict(curve=list(zip(r['t'], r['loss'])), val_bpb=r['val_bpb'],
                                 budget_s=r['budget_s']) for r in runs], SEConfig(method=method, min_history=MIN_HISTORY))
    return [row['abort_progress'] for row in rows]

def optuna_pruner(runs, make_pruner):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(study_name='early-abort-bench', direction='minimize', pruner=make_pruner(), sampler=optuna.samplers.RandomSampler(seed=0))
    used = []
    for r in runs:
        trial, B = study.ask(), r['budget_s']
        stop = 1.0
        for k in range(FIRST_CHECK, CHECKS):   # the last checkpoint is the end of the run: nothing left to save
            t_k = k * B / CHECKS
            if t_k > r['t'][-1]: break
            trial.report(window_mean(r['t'], r['loss'], t_k, B / 10), step=k)
            if trial.should_prune(): stop = k / CHECKS; break
        if stop < 1.0: study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else: study.tell(trial, r['val_bpb'])
        used.append(stop)
    return used

def pruners():
    import optuna.pruners as P
    common = dict(n_startup_trials=MIN_HISTORY, n_warmup_steps=FIRST_CHECK)
    return {'optuna MedianPruner': lambda: P.MedianPruner(**common),
            'optuna PercentilePruner(25)': lambda: P.PercentilePruner(25.0, **common),
            'optuna HyperbandPruner': lambda: P.HyperbandPruner(min_resource=FIRST_CHECK, max_resource=CHECKS, reduction_factor=3),
            'optuna WilcoxonPruner(p=0.1)': lambda: P.WilcoxonPruner(p_threshold=0.1, n_startup_steps=FIRST_CHECK)}

def score(dataset, method, used, truth):
    judged = [(u, bad, best) for u, (j, bad, best) in zip(used, truth) if j]
    n = len(judged)
    aborted = [x for x in judged if x[0] < 1.0]
    good = [x for x in judged if not x[1]]
    spent = sum(x[0] for x in judged)
    return dict(dataset=dataset, method=method, judged=n, bad=sum(x[1] for x in judged), aborted=len(aborted),
                bad_caught=sum(1 for x in aborted if x[1]), false_aborts=sum(1 for x in aborted if not x[1]),
                good=len(good), false_abort_rate=sum(1 for x in aborted if not x[1]) / len(good) if good else 0.0,
                lost_bests=sum(1 for x in aborted if x[2]), bests=sum(x[2] for x in judged),
                mean_abort_point=statistics.mean(x[0] for x in aborted) if aborted else 1.0,
                compute_saved=1 - spent / n, G=n / spent)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--curves', default=str(ROOT / 'data' / 'curves_cpu60.jsonl'))
    ap.add_argument('--ledger', default=str(ROOT.parent / 'figures' / 'compare' / 'ledgers' / 'compare-edit-ppo-no-se'),
                    help='a campaign ledger run without the self-evaluator (every curve complete)')
    ap.add_argument('--ledger-budget', type=float, default=30.0)
    ap.add_argument('--out', default=str(ROOT / 'early_abort.csv'))
    args = ap.parse_args(argv)
    datasets = {}
    if Path(args.curves).exists():
        runs = load_jsonl(args.curves)
        datasets[f'{Path(args.curves).stem} (random edits, 60 s)'] = (seed_sd(runs), runs)
    if Path(args.ledger).exists():
        datasets[f'{Path(args.ledger).name} (an edit-ppo campaign, {args.ledger_budget:g} s)'] = load_ledger(args.ledger, args.ledger_budget)
    if not datasets: raise SystemExit(f'no recorded curves: neither {args.curves} nor {args.ledger} exists; '
                                      'record some with bench/record_curves.py')
    rows = []
    for name, (sigma, runs) in datasets.items():
        truth = oracle(runs, sigma)
        methods = {'ours: reference curve + SPRT (default)': lambda: ours(runs, 'reference'),
                   'ours: power law (paper) + SPRT': lambda: ours(runs, 'power_law'),
                   'no early abort': lambda: [1.0] * len(runs)}
        methods.update({k: (lambda mk=mk: optuna_pruner(runs, mk)) for k, mk in pruners().items()})
        for method, fn in methods.items():
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                rows.append(score(f'{name}, {len(runs)} runs, σ {sigma:.4f}', method, fn(), truth))
    with open(args.out, 'w', newline='') as f:
        w = csv.DictWriter(f, list(rows[0])); w.writeheader(); w.writerows(rows)
    print('| curves | method | judged | bad | aborted | bad caught | false aborts / good | lost bests | mean abort point | compute saved | G |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['dataset']} | {r['method']} | {r['judged']} | {r['bad']} | {r['aborted']} | {r['bad_caught']} | "
              f"{r['false_aborts']} / {r['good']} | {r['lost_bests']} / {r['bests']} | {r['mean_abort_point']:.2f} | "
              f"{r['compute_saved']:.1%} | {r['G']:.2f} |")
    return rows

if __name__ == '__main__': main()
