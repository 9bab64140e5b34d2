"""Early abort on recorded real training curves: our self-evaluator (the paper's power-law forecaster and the
reference-curve forecaster, each with Wald's cumulative SPRT) against Optuna's pruners (Median, Percentile,
Hyperband, Wilcoxon) fed the same curves, in the same order, through Optuna's own ask / report / should_prune /
tell API.

    python bench/early_abort.py [--curves bench/data/curves_cpu60.jsonl] [--ledger figures/compare-v1-wall/ledgers/compare-edit-ppo-no-se]

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

    python bench/early_abort.py --loop [--budget 5] [--experiments 150] [--repeats 6] [--record-runs 349]
    python bench/early_abort.py --loop --folds 5 [--repeats 4]

The campaign's own rule, through the real loop (issue 20): campaigns on the SimExecutor over the benchmark of
record (bench/data/record), whose policy proposes recorded configurations at random, with the self-evaluator the
loop builds (confirmed best, σ_h = max(spread, seed noise), the campaign's own calibrator; the variants in
VARIANTS). The record's configurations are split in two halves by a hash of their key: 'tune' chose the default,
'test' reports it. A judged run is good when its full recorded val_bpb ends at or below the τ it was judged
against (the simulator knows it even for an aborted run); false-abort rates come with Wilson's 95% interval.
Optuna's pruners (each over its main knob) see the default's sequence of candidates with full curves. Writes
early_abort_loop.csv and early_abort_coverage.csv (coverage of each variant's stated 90% interval at 25/38/50/75%
of the budget, for all judged runs and for good runs only).

With --folds K the choice itself is cross-validated over the whole record: the configurations fall in K folds by a
hash of their key, every variant runs campaigns on each fold, and for each fold held out the same rule (at most 5%
false aborts, then the largest G) chooses among our variants, and separately among Optuna's pruners and no early
abort, on the other folds' runs; each choice is scored on the fold it did not see (early_abort_cv.csv, and the
pooled out-of-fold row).
"""
import argparse, csv, hashlib, json, math, random, statistics, sys, warnings
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
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
    if sel.any(): return float(loss[sel].mean())
    return float(loss[t <= t_at][-1]) if (t <= t_at).any() else None      # None: no point yet (a slow start)

def ours(runs, noise_sd=0.0, **se):
    "Abort point (fraction of budget, 1.0 = ran to the end) per run, from the self-evaluator replay (SEConfig keywords `se`)."
    from autoresearch_rl.selfeval import SEConfig, replay_campaign
    rows = replay_campaign([dict(curve=list(zip(r['t'], r['loss'])), val_bpb=r['val_bpb'],
                                 budget_s=r['budget_s']) for r in runs], SEConfig(min_history=MIN_HISTORY, **se), noise_sd=noise_sd)
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
            v = window_mean(r['t'], r['loss'], t_k, B / 10)
            if v is None: continue                 # nothing to report yet: no decision at this check
            trial.report(v, step=k)
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

# ---- the campaign's own rule, replayed through the loop on the benchmark of record (issue 20) ----

VARIANTS = {   # name -> SEConfig keyword arguments
    'reference, calibrated, interval test (default)': dict(),
    'reference, calibrated (linear miss model), interval test': dict(calib_model='linear'),
    'reference, calibrated on 30 nearest forecasts, interval test': dict(calib_neighbours=30),
    'reference, calibrated on audit runs only, interval test': dict(audit_every=5),
    'reference, calibrated, interval test, beta 0.1': dict(beta=0.1),
    'reference, calibrated, interval test, beta 0.2': dict(beta=0.2),
    'reference, calibrated, Wald SPRT': dict(test='sprt'),
    'reference, raw sd, Wald SPRT (the default before)': dict(test='sprt', calibrate=False),
    'power_law, raw sd, Wald SPRT (paper)': dict(method='power_law', test='sprt', calibrate=False),
}

DEFAULT = 'reference, calibrated, interval test (default)'

def split_keys(record):
    "The record's configurations in two halves by a hash of the key: 'tune' chooses, 'test' reports (seeds of one configuration stay together)."
    halves = {'tune': [], 'test': []}
    for k in record.keys():
        if k == '{}': continue                            # the baseline is every campaign's start, in both
        halves['tune' if int(hashlib.sha1(k.encode()).hexdigest(), 16) % 2 == 0 else 'test'].append(k)
    return halves

class RecordWalk:
    "A policy that proposes recorded configurations at random (so every run is a real recorded curve), as edits of the best code."
    name = 'record-walk'
    def __init__(self, record, keys, seed):
        self.record, self.keys, self.rng = record, list(keys), random.Random(seed)
    def propose(self, state):
        from autoresearch_rl.policies import Action, fmt_value, set_constants
        k = self.rng.choice(self.keys)
        values = {n: fmt_value(v) for n, v in self.record.constants(k).items() if n in self.record.base}
        return Action(f'record {k}', set_constants(state.best_code, values), 'record')
    def update(self, batch): return {}
    def state_dict(self): return b''
    def load_state_dict(self, blob): pass

class Judged:
    "Wraps a SimExecutor; keeps each judged run: the self-evaluator the loop built (its τ, readiness), the outcome, the full curve."
    def __init__(self, ex):
        self.ex, self.log = ex, []
    def submit(self, source, seed=0, selfeval=None, callbacks=()):
        job = self.ex.submit(source, seed, selfeval, callbacks)
        o = job.result()
        if selfeval is not None and o.summary.get('sim') == 'recorded' and o.status in ('ok', 'aborted'):
            full = next(r for r in self.ex.record.runs(o.summary['key']) if r['seed'] == o.summary['recorded_seed'])
            self.log.append(dict(ready=selfeval.ready, tau=selfeval.tau, best=selfeval.best, status=o.status,
                                 progress=min((o.training_s or 0.0) / self.ex.record.budget_s, 1.0) if o.status == 'aborted' else 1.0,
                                 full=full['val_bpb'], t=[c[0] for c in full['curve']], loss=[c[1] for c in full['curve']],
                                 budget_s=self.ex.record.budget_s, coverage=_coverage(selfeval, full)))
        return job
    def wait(self, job, timeout=None): return job.result()

def _coverage(se, full):
    "Did the self-evaluator's calibrated (and raw) 90% intervals at its checks contain the run's real val_bpb? {progress: (raw, calibrated)}."
    out = {}
    for d in se.decisions:
        if math.isfinite(d.forecast_bpb) and math.isfinite(d.sd_bpb):
            out[round(d.progress, 3)] = abs(full['val_bpb'] - d.forecast_bpb) <= 1.645 * d.sd_bpb
    return out

def loop_campaign(record, keys, variant, seed, n, runs_dir):
    "One campaign of `n` experiments through the real loop; the judged runs as Judged logged them."
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate
    from autoresearch_rl.selfeval import SEConfig
    from autoresearch_rl.sim import SimExecutor
    ex = Judged(SimExecutor(record, None, seed=seed))
    cfg = CampaignConfig(tag=f'se-{hashlib.sha1(repr(variant).encode()).hexdigest()[:8]}-{seed}', runs_dir=runs_dir, budget_s=record.budget_s, seed=seed,
                         baseline_seeds=3, confirm_seeds=1, selfeval=True, se=SEConfig(**(VARIANTS[variant] if isinstance(variant, str) else variant)),
                         terminate=Terminate(max_experiments=n))
    camp = Campaign(RecordWalk(record, keys, seed), cfg, executor=ex)
    camp.run(progress_bar=False)
    camp.close()
    return ex.log

def wilson(k, n, z=1.96):
    "Wilson's 95% interval of a proportion k/n."
    if n == 0: return (0.0, 1.0)
    p = k / n; d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d; h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))

def score_judged(runs, used, label, method, beta):
    "Scores abort points `used` (1.0 = ran to the end) on the campaign's own τ: bad = the full run ends above it."
    J = [(u, r) for u, r in zip(used, runs) if r['ready']]
    good = [(u, r) for u, r in J if r['full'] <= r['tau']]
    fa = sum(1 for u, _ in good if u < 1.0)
    lo, hi = wilson(fa, len(good))
    spent = sum(u for u, _ in J)
    return dict(set=label, method=method, judged=len(J), good=len(good), bad=len(J) - len(good),
                aborted=sum(1 for u, _ in J if u < 1.0), bad_caught=sum(1 for u, r in J if u < 1.0 and r['full'] > r['tau']),
                false_aborts=fa, false_abort_rate=fa / len(good) if good else 0.0, fa_ci_lo=lo, fa_ci_hi=hi, beta=beta,
                lost_bests=sum(1 for u, r in J if u < 1.0 and r['full'] < r['best']),
                compute_saved=1 - spent / len(J) if J else 0.0, G=len(J) / spent if spent else float('nan'))

def optuna_on(runs, make_pruner):
    "Optuna's pruner fed the campaign's sequence of candidates (full curves; only runs it let finish are told)."
    seq = [dict(t=r['t'], loss=r['loss'], val_bpb=r['full'], budget_s=r['budget_s']) for r in runs]
    return optuna_pruner(seq, make_pruner)

def pruner_grid():
    "Optuna's pruners over their main knob: the best of them is held to our false-abort rate."
    import optuna.pruners as P
    common = dict(n_startup_trials=MIN_HISTORY, n_warmup_steps=FIRST_CHECK)
    g = {'optuna MedianPruner': lambda: P.MedianPruner(**common)}
    for q in (10.0, 25.0, 40.0): g[f'optuna PercentilePruner({q:g})'] = lambda q=q: P.PercentilePruner(q, **common)
    for rf in (2, 3, 4): g[f'optuna HyperbandPruner(rf={rf})'] = lambda rf=rf: P.HyperbandPruner(min_resource=FIRST_CHECK, max_resource=CHECKS, reduction_factor=rf)
    for p in (0.02, 0.1, 0.3): g[f'optuna WilcoxonPruner(p={p:g})'] = lambda p=p: P.WilcoxonPruner(p_threshold=p, n_startup_steps=FIRST_CHECK)
    return g

def bucket_coverage(logs, good_only=False):
    """Coverage of the stated 90% interval per check, pooled: {k/8: (hits, n)} for k = 2, 3, 4, 6 (25/38/50/75% of the
    budget). `good_only`: only runs that end at or below their τ, the runs whose interval the false-abort bound rests on."""
    out = {}
    for r in logs:
        if good_only and not (r['ready'] and r['full'] <= r['tau']): continue
        for p, hit in r['coverage'].items():
            k = int(p * CHECKS + 1e-6)
            if k in (2, 3, 4, 6): h, n = out.get(k, (0, 0)); out[k] = (h + hit, n + 1)
    return out

def loop_main(args):
    import tempfile
    from autoresearch_rl.selfeval import SEConfig
    from autoresearch_rl.sim import BenchRecord
    from autoresearch_rl.sim import read_record_rows
    rows = read_record_rows(ROOT / 'data' / 'record')
    if args.record_runs: rows = rows[:args.record_runs]           # the record as it was: the same halves every time
    record = BenchRecord(rows, (ROOT.parent / 'train.py').read_text(), budget_s=args.budget)
    halves = split_keys(record)
    if args.holdout_new:     # configurations first recorded after the default was chosen: a held-out set nobody tuned on
        seen = {r['key'] for r in read_record_rows(ROOT / 'data' / 'record')[:args.holdout_new]}
        halves = {'seen': [k for k in record.keys() if k != '{}' and k in seen], 'new': [k for k in record.keys() if k != '{}' and k not in seen]}
    beta = SEConfig().beta
    rows, cov = [], []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for half in args.halves.split(','):
            label = f'record {half} {"configurations" if args.holdout_new else "half"} ({len(halves[half])} configurations of {sum(len(v) for v in record.by_key.values())} runs, {args.budget:g} s, {args.repeats} campaigns x {args.experiments})'
            seqs = {}
            for variant in VARIANTS:
                if args.variants and not any(v in variant for v in args.variants.split(',')) and variant != DEFAULT: continue
                logs = []
                for s in range(args.repeats):
                    logs += loop_campaign(record, halves[half], variant, 1000 * (half in ('test', 'new')) + s, args.experiments, tmp)
                seqs[variant] = logs
                rows.append(score_judged(logs, [r['progress'] for r in logs], label, 'ours: ' + variant, beta))
                for runs, good in (('all', False), ('good', True)):
                    for k, (h, n) in sorted(bucket_coverage(logs, good).items()):
                        cov.append(dict(set=label, method=variant, runs=runs, progress=k / CHECKS, covered=h / n, n=n))
                print(f'{half} {variant}: {rows[-1]["judged"]} judged, {rows[-1]["false_aborts"]}/{rows[-1]["good"]} false, G {rows[-1]["G"]:.2f}', flush=True)
            base = seqs[DEFAULT]      # one sequence of candidates for every peer
            rows.append(score_judged(base, [1.0] * len(base), label, 'no early abort', beta))
            for name, mk in pruner_grid().items():
                rows.append(score_judged(base, optuna_on(base, mk), label, name, beta))
    return rows, cov

# ---- K-fold cross-validation of the choice itself (issue 20) ----

def choose(scores:dict, max_fa:float=0.05) -> str:
    "The selection rule that chose the default: at most `max_fa` false aborts on the tuning runs, then the largest G; if none qualifies, the fewest false aborts."
    ok = {m: r for m, r in scores.items() if r['false_abort_rate'] <= max_fa}
    if ok: return max(ok, key=lambda m: (ok[m]['G'], -ok[m]['false_abort_rate']))
    return min(scores, key=lambda m: (scores[m]['false_abort_rate'], -scores[m]['G']))

def fold_keys(record, k:int) -> list:
    "The record's configurations (not the baseline) in `k` folds by a hash of the key; a configuration's seeds stay together."
    folds = [[] for _ in range(k)]
    for key in record.keys():
        if key != '{}': folds[int(hashlib.sha256(key.encode()).hexdigest(), 16) % k].append(key)
    return folds

def cv_main(args):
    """Each variant's campaigns on each fold's configurations (cached, so a stopped run resumes); then, for each fold
    held out, the rule chooses among our variants, and separately among Optuna's pruners (and no early abort), on the
    other folds' runs, and the choices are scored on the held-out fold. Nothing reported was seen by its choice."""
    import pickle, tempfile
    from autoresearch_rl.selfeval import SEConfig
    from autoresearch_rl.sim import BenchRecord, read_record_rows
    rows = read_record_rows(ROOT / 'data' / 'record')
    record = BenchRecord(rows, (ROOT.parent / 'train.py').read_text(), budget_s=args.budget)
    folds, beta = fold_keys(record, args.folds), SEConfig().beta
    cache = Path(args.cache); cache.mkdir(parents=True, exist_ok=True)
    used = {}                                             # (fold, method) -> (its judged runs, the abort point of each: 1.0 = ran to the end)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for f, keys in enumerate(folds):
            for variant in VARIANTS:
                what = repr((variant, VARIANTS[variant], args.budget, args.repeats, args.experiments, len(rows)))   # all a cached result depends on
                path = cache / f'fold{f}-of{args.folds}-{hashlib.sha1(what.encode()).hexdigest()[:12]}.pkl'
                if path.exists(): logs = pickle.loads(path.read_bytes())
                else:
                    logs = []
                    for s in range(args.repeats): logs += loop_campaign(record, keys, variant, 5000 + 100 * f + s, args.experiments, tmp)
                    path.write_bytes(pickle.dumps(logs))
                used[f, 'ours: ' + variant] = (logs, [r['progress'] for r in logs])
                print(f'fold {f} ({len(keys)} configurations) {variant}: {sum(r["ready"] for r in logs)} judged', flush=True)
            base = used[f, 'ours: ' + DEFAULT][0]
            used[f, 'no early abort'] = (base, [1.0] * len(base))
            for name, mk in pruner_grid().items(): used[f, name] = (base, optuna_on(base, mk))
    def pooled(method, fs):
        rs = [r for f in fs for r in used[f, method][0]]; us = [u for f in fs for u in used[f, method][1]]
        return rs, us
    ours_m = ['ours: ' + v for v in VARIANTS]
    peers_m = ['no early abort'] + list(pruner_grid())
    out, oof = [], {'ours': ([], []), 'optuna': ([], [])}
    for f in range(args.folds):
        train = [g for g in range(args.folds) if g != f]
        for side, cands in (('ours', ours_m), ('optuna', peers_m)):
            scores = {m: score_judged(*pooled(m, train), 'tune', m, beta) for m in cands}
            m = choose(scores)
            test = score_judged(*pooled(m, [f]), f'fold {f} held out ({len(folds[f])} configurations)', m, beta)
            out.append(dict(test, side=side, tune_fa=scores[m]['false_abort_rate'], tune_G=scores[m]['G']))
            oof[side][0].extend(pooled(m, [f])[0]); oof[side][1].extend(pooled(m, [f])[1])
    for side in ('ours', 'optuna'):
        out.append(dict(score_judged(*oof[side], f'all folds, each held out ({args.folds} folds)', f'{side}: the choice of the other folds', beta),
                        side=side, tune_fa=float('nan'), tune_G=float('nan')))
    for m in ours_m + peers_m:                            # every candidate on every fold, for reference (no choice made here)
        out.append(dict(score_judged(*pooled(m, range(args.folds)), f'every fold, no choice ({args.folds} folds)', m, beta),
                        side='each', tune_fa=float('nan'), tune_G=float('nan')))
    cov = []
    for f in range(args.folds):                           # coverage of the stated 90% intervals of the variant each fold's choice took
        m = next(r['method'] for r in out if r['side'] == 'ours' and r['set'].startswith(f'fold {f} '))
        for k, (h, n) in sorted(bucket_coverage(used[f, m][0]).items()):
            cov.append(dict(set=f'fold {f} held out', method=m, runs='all', progress=k / CHECKS, covered=h / n, n=n))
    allcov = {}
    for c in cov: h, n = allcov.get(c['progress'], (0, 0)); allcov[c['progress']] = (h + c['covered'] * c['n'], n + c['n'])
    for p, (h, n) in sorted(allcov.items()): cov.append(dict(set='all folds, each held out', method='the choice of the other folds', runs='all', progress=p, covered=h / n, n=n))
    return out, cov

def print_loop(rows, cov):
    print('\n| curves | method | judged | good | false aborts / good | 95% interval | lost bests | bad caught / bad | compute saved | G |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['set']} | {r['method']} | {r['judged']} | {r['good']} | {r['false_aborts']} / {r['good']} "
              f"({r['false_abort_rate']:.1%}) | {r['fa_ci_lo']:.1%}-{r['fa_ci_hi']:.1%} | {r['lost_bests']} | "
              f"{r['bad_caught']} / {r['bad']} | {r['compute_saved']:.1%} | {r['G']:.2f} |")
    print('\n| curves | method | 25% | 38% | 50% | 75% |  (coverage of the stated 90% interval; runs)')
    print('|---|---|---|---|---|---|')
    by = {}
    for c in cov: by.setdefault((c['set'], c['method'], c['runs']), {})[c['progress']] = c
    for (s, m, w), d in by.items():
        cells = [f"{d[p]['covered']:.0%} ({d[p]['n']})" if p in d else '-' for p in (0.25, 0.375, 0.5, 0.75)]
        print(f"| {s} | {m}, {w} runs | " + ' | '.join(cells) + ' |')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--curves', default=str(ROOT / 'data' / 'curves_cpu60.jsonl'))
    ap.add_argument('--ledger', default=str(ROOT.parent / 'figures' / 'compare' / 'ledgers' / 'compare-edit-ppo-no-se'),
                    help='a campaign ledger run without the self-evaluator (every curve complete)')
    ap.add_argument('--ledger-budget', type=float, default=30.0)
    ap.add_argument('--out', default=str(ROOT / 'early_abort.csv'))
    ap.add_argument('--loop', action='store_true', help='the benchmark of record through the real loop (issue 20)')
    ap.add_argument('--budget', type=float, default=5.0, help='--loop: the record budget')
    ap.add_argument('--experiments', type=int, default=150, help='--loop: experiments per campaign')
    ap.add_argument('--repeats', type=int, default=10, help='--loop: campaigns per variant and half')
    ap.add_argument('--record-runs', type=int, default=0, help='--loop: use only the first N runs of the record (0: all)')
    ap.add_argument('--holdout-new', type=int, default=0, help="--loop: split into 'seen' (configurations among the first N runs) and 'new' (recorded later); use with --halves new")
    ap.add_argument('--halves', default='tune,test', help="--loop: which halves to run ('tune' while choosing)")
    ap.add_argument('--variants', default='', help='--loop: only variants whose name contains one of these (comma-separated; the default always runs)')
    ap.add_argument('--folds', type=int, default=0, help='--loop: K-fold cross-validation of the choice over the whole record (e.g. 5)')
    ap.add_argument('--cache', default='/tmp/early_abort_cv', help='--folds: where the campaigns of each fold and variant are kept (resume)')
    args = ap.parse_args(argv)
    if args.loop and args.folds:
        import torch; torch.set_num_threads(1)
        rows, cov = cv_main(args)
        # the committed tables are the documented protocol's; another protocol writes beside them, never over them
        stem = 'early_abort_cv' + ('' if (args.folds, args.repeats, args.experiments) == (5, 4, 150) else f'_{args.folds}x{args.repeats}x{args.experiments}')
        for name, data in ((f'{stem}.csv', rows), (f'{stem}_coverage.csv', cov)):
            with open(ROOT / name, 'w', newline='') as f:
                w = csv.DictWriter(f, list(data[0])); w.writeheader(); w.writerows(data)
        print_loop(rows, cov)
        return rows
    if args.loop:
        import torch; torch.set_num_threads(1)
        rows, cov = loop_main(args)
        out = ROOT / ('early_abort_loop.csv' if args.halves == 'tune,test' and not args.variants and not args.holdout_new
                      else 'early_abort_loop_new.csv' if args.holdout_new else 'early_abort_loop_partial.csv')
        with open(out, 'w', newline='') as f:
            w = csv.DictWriter(f, list(rows[0])); w.writeheader(); w.writerows(rows)
        with open(out.with_name(out.name.replace('loop', 'coverage')), 'w', newline='') as f:
            w = csv.DictWriter(f, list(cov[0])); w.writeheader(); w.writerows(cov)
        print_loop(rows, cov)
        return rows
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
        methods = {f'ours: {v}': (lambda kw=kw: ours(runs, sigma, **kw)) for v, kw in VARIANTS.items()}
        methods['no early abort'] = lambda: [1.0] * len(runs)
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
