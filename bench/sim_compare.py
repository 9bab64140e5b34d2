"""Policies compared on the simulator (issue 19): the real loop, ledger and policies over the benchmark of record.

    python bench/sim_compare.py [--experiments 100] [--repeats 100] [--policies human random tpe edit-ppo edit-ppo-nose]
    python bench/sim_compare.py --report [--experiments 100]       # the tables from bench/data/sim_compare.jsonl
    python bench/sim_compare.py --study figures/sim-compare/ledgers [--first-seed 0]   # one campaign per policy, ledgers kept:
    autoresearch-rl figures --runs-dir figures/sim-compare/ledgers --out figures      # the paper's tables and figures, SIMULATED

Every campaign is a real `Campaign` (ledger, git branch, acceptance with one confirmation seed, rewards, the
policy's updates, the self-evaluator) whose executor is `SimExecutor` over the record in bench/data/record: a
proposed train.py gets a recorded run of its configuration (a random recorded seed), or, outside the record, the
surrogate's prediction with the record's seed noise. Repeat r runs every policy with campaign seed r and simulator
seed r, so the baseline draws are shared (paired repeats). `edit-ppo-nose` is edit-ppo with the self-evaluator off;
`edit-ppo-floor` is edit-ppo with `RewardConfig(failure_floor=True)` (an aborted run rewarded as if it ended at its
threshold τ, a crash no better than the worst finished run).

Regret after n experiments: the *true* value of the campaign's incumbent (its configuration's mean over the
recorded seeds, or the surrogate's prediction where it was not recorded) minus the best recorded configuration's
mean (configurations with 3 ok seeds). Reported: median regret with a bootstrap 95% interval at checkpoints,
against experiments and simulated hours, the average rank of the final regret, paired Wilcoxon tests between
each pair of policies, and the self-evaluator's aborts, the budget seconds they saved and its false aborts (an
aborted run whose replayed seed, run to the end, would have beaten the incumbent of that moment). Appends one line
per campaign to bench/data/sim_compare.jsonl (resumable: a campaign already there is skipped).

Everything here is SIMULATED, on the record's budget (5 training seconds on the cpu clock); the record's datasheet
(bench/data/record/DATASHEET.md) says what it holds. With a partial record most of random search's and TPE's
proposals are predictions of the surrogate: read the `predicted` column before the regret.
"""
import argparse, hashlib, json, math, random, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'bench'))
OUT = ROOT / 'bench' / 'data' / 'sim_compare.jsonl'

def make(name, seed):
    from search import make_policy
    return make_policy('edit-ppo' if name in ('edit-ppo-nose', 'edit-ppo-floor') else name, seed)

class Logged:
    "Wraps a SimExecutor: keeps, per submitted run, what the tables need (the campaign sees the executor unchanged)."
    def __init__(self, ex):
        self.ex, self.log = ex, []
    def submit(self, source, seed=0, selfeval=None, callbacks=()):
        job = self.ex.submit(source, seed, selfeval, callbacks)
        o = job.result()
        self.log.append(dict(status=o.status, val_bpb=o.val_bpb, full=o.summary.get('full_val_bpb'), origin=o.summary.get('sim'),
                             total_s=o.total_s or 0.0, budget_left=(self.ex.record.budget_s - (o.training_s or 0.0)) if o.status == 'aborted' else 0.0))
        return job
    def wait(self, job, timeout=None): return job.result()

def true_value(record, surrogate, code, cache):
    k = record.key(code)
    if k not in cache:
        runs = [r['val_bpb'] for r in record.runs(k) if r['status'] == 'ok']
        cache[k] = statistics.mean(runs) if runs else surrogate.predict(record.constants(k))
    return cache[k]

def _h(s): return hashlib.sha256(s.encode()).hexdigest()[:10]

def start_code(record, key):
    "train.py with the constants of the recorded configuration `key` (the project's train.py for None)."
    from autoresearch_rl.policies import write_constant
    from autoresearch_rl.diffs import apply_edits
    code = record.base_code
    if key is None: return code
    for k, v in json.loads(key).items(): code = apply_edits(code, [write_constant(code, k, tuple(v) if isinstance(v, list) else v)])
    assert record.key(code) == key, (record.key(code), key)
    return code

def one_campaign(name, seed, record, surrogate, n, runs_dir, oracle, start=None, policy=None):
    """One simulated campaign of `name` (or of the `policy` object given, e.g. one that carries its weights from
    campaign to campaign) from the recorded configuration `start` (None: the project's train.py)."""
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.mdp import Terminate, RewardConfig
    from autoresearch_rl.sim import SimExecutor, SIM_VERSION
    ex = Logged(SimExecutor(record, surrogate, seed=seed))
    train_py = None
    if start is not None:
        train_py = Path(runs_dir) / f'start-{_h(start)}.py'
        train_py.write_text(start_code(record, start))
    tag = f'{name}-{seed}' + (f'-{_h(start)}' if start is not None else '')
    cfg = CampaignConfig(tag=tag, runs_dir=runs_dir, train_py=str(train_py) if train_py else None, budget_s=record.budget_s, seed=seed, baseline_seeds=2,
                         confirm_seeds=1, selfeval=name != 'edit-ppo-nose', terminate=Terminate(max_experiments=n),
                         reward=RewardConfig(failure_floor=True) if name.endswith('-floor') else None)
    t0 = time.time()
    camp = Campaign(policy if policy is not None else make(name, seed), cfg, executor=ex)
    camp.run(progress_bar=False)
    rows = camp.ledger.rows()
    camp.close()
    cache, regret, inc = {}, [], None
    for r in rows:
        if r['kept'] and r['val_bpb'] is not None: inc = true_value(record, surrogate, r['code'], cache)
        regret.append(None if inc is None else inc - oracle)
    # simulated hours after each experiment: every run it made (confirmations included), in order
    per_exp, i = [], 0
    for r in rows:
        runs = max(1, len(r.get('seeds') or []) or 1)
        per_exp.append(sum(x['total_s'] for x in ex.log[i:i + runs])); i += runs
    hours = [sum(per_exp[:j + 1]) / 3600 for j in range(len(per_exp))]
    aborted = [x for x in ex.log if x['status'] == 'aborted']
    best_seen = [rows[j]['val_bpb'] for j in range(len(rows)) if rows[j]['kept'] and rows[j]['val_bpb'] is not None]
    false = sum(1 for x in aborted if x['full'] is not None and best_seen and x['full'] < min(best_seen))
    return dict(policy=name, seed=seed, experiments=len(rows), regret=regret, hours=hours, runs=len(ex.log),
                predicted=sum(x['origin'] == 'predicted' for x in ex.log), aborted=len(aborted), false_aborts=false,
                saved_s=sum(x['budget_left'] for x in aborted), kept=sum(bool(r['kept']) for r in rows[1:]),
                wall_s=round(time.time() - t0, 2), record=dict(budget_s=record.budget_s, configs=len(record.by_key),
                runs=sum(len(v) for v in record.by_key.values()), profile_version=record.profile_version, clock=record.clock),
                sim_version=SIM_VERSION, date=time.strftime('%Y-%m-%d %H:%M'))

def boot_ci(xs, rng, b=2000):
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(b))
    return meds[int(0.025 * b)], meds[int(0.975 * b) - 1]

def report(recs, policies, n):
    from scipy.stats import wilcoxon
    rng = random.Random(0)
    recs = [r for r in recs if r['experiments'] == n]
    by = {p: {r['seed']: r for r in recs if r['policy'] == p} for p in policies}
    seeds = sorted(set.intersection(*[set(v) for v in by.values()])) if by else []
    if not seeds: print('no paired campaigns yet'); return
    at = sorted({max(1, min(n - 1, k)) for k in (10, 25, n // 2, n - 1)})
    print(f'SIMULATED on the benchmark of record ({recs[0]["record"]}), {len(seeds)} paired repeats of {n} experiments\n')
    print('| policy | ' + ' | '.join(f'regret after {k} (median [95% CI])' for k in at) + ' | avg rank (final) | sim hours | predicted runs | aborts | false aborts | saved budget s |')
    print('|---|' + '---|' * (len(at) + 6))
    final = {p: [by[p][s]['regret'][-1] for s in seeds] for p in policies}
    ranks = {p: [] for p in policies}
    for i, s in enumerate(seeds):
        order = sorted(policies, key=lambda p: final[p][i])
        for p in policies: ranks[p].append(1 + sum(final[q][i] < final[p][i] for q in policies) + 0.5 * (sum(final[q][i] == final[p][i] for q in policies) - 1))
    for p in policies:
        cells = []
        for k in at:
            xs = [by[p][s]['regret'][k] for s in seeds]
            lo, hi = boot_ci(xs, rng)
            cells.append(f'{statistics.median(xs):.4f} [{lo:.4f}, {hi:.4f}]')
        rs = [by[p][s] for s in seeds]
        print(f'| {p} | ' + ' | '.join(cells) + f' | {statistics.mean(ranks[p]):.2f} | {statistics.median(r["hours"][-1] for r in rs):.2f} | '
              f'{statistics.mean(r["predicted"] / max(1, r["runs"]) for r in rs):.0%} | {statistics.mean(r["aborted"] for r in rs):.1f} | '
              f'{statistics.mean(r["false_aborts"] for r in rs):.2f} | {statistics.mean(r["saved_s"] for r in rs):.0f} |')
    print('\nPaired Wilcoxon signed-rank tests on the final regret (two-sided; + means the row policy ends worse):\n')
    print('| pair | median difference | p |'); print('|---|---|---|')
    for i, a in enumerate(policies):
        for b in policies[i + 1:]:
            d = [x - y for x, y in zip(final[a], final[b])]
            p = wilcoxon(d).pvalue if any(d) else 1.0
            print(f'| {a} vs {b} | {statistics.median(d):+.4f} | {p:.3g} |')

_W = {}

def _load(folder, budget):
    from autoresearch_rl.sim import BenchRecord, Surrogate
    record = BenchRecord.load(folder, (ROOT / 'train.py').read_text(), budget_s=budget)
    return record, Surrogate(record), min(record.means(min_seeds=3).values())

def _init(folder, budget):
    import logging, torch
    torch.set_num_threads(1)          # the policies' networks are tiny: threads only contend
    logging.getLogger('autoresearch_rl').setLevel(logging.ERROR)
    _W['record'], _W['surrogate'], _W['oracle'] = _load(folder, budget)
    _W['dir'] = tempfile.mkdtemp(prefix='sim-compare-')

def _work(job):
    name, seed, n = job
    return one_campaign(name, seed, _W['record'], _W['surrogate'], n, _W['dir'], _W['oracle'])

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--experiments', type=int, default=100)
    ap.add_argument('--repeats', type=int, default=100)
    ap.add_argument('--first-seed', type=int, default=0)
    ap.add_argument('--budget', type=float, default=5.0, help="the record's budget to use")
    ap.add_argument('--policies', nargs='+', default=['human', 'random', 'tpe', 'edit-ppo', 'edit-ppo-nose'])
    ap.add_argument('--out', default=str(OUT))
    ap.add_argument('--record', default=str(ROOT / 'bench' / 'data' / 'record'), help='the record folder')
    ap.add_argument('--jobs', type=int, default=2, help='campaigns run in this many processes at once')
    ap.add_argument('--report', action='store_true')
    ap.add_argument('--study', default=None, metavar='DIR',
                    help='run one campaign per policy (seed --first-seed) with its ledger kept in DIR, and a compare study '
                         'file, so `autoresearch-rl figures` draws the paper\'s tables and figures from simulated campaigns')
    args = ap.parse_args(argv)
    recs = [json.loads(l) for l in Path(args.out).read_text().splitlines() if l.strip()] if Path(args.out).exists() else []
    if args.report:              # the newest record's campaigns (a campaign on an older record is not paired with these)
        runs = max((r['record']['runs'] for r in recs), default=None)
        return report([r for r in recs if r['record']['runs'] == runs], args.policies, args.experiments)
    from concurrent.futures import ProcessPoolExecutor
    record, surrogate, oracle = _load(args.record, args.budget)
    if args.study: return study(args, record, surrogate, oracle)
    print(f'{record}; oracle (best recorded configuration mean, 3 seeds): {oracle:.4f}', flush=True)
    nruns = sum(len(v) for v in record.by_key.values())
    done = {(r['policy'], r['seed'], r['experiments'], r['record']['runs']) for r in recs}
    todo = [(name, seed) for seed in range(args.first_seed, args.first_seed + args.repeats) for name in args.policies
            if (name, seed, args.experiments, nruns) not in done]
    t0 = time.time()
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.record, args.budget)) as pool:
        for r in pool.map(_work, [(name, seed, args.experiments) for name, seed in todo]):
            with open(args.out, 'a') as f: f.write(json.dumps(r) + '\n')
            recs.append(r)
            print(f"{r['policy']} seed {r['seed']}: final regret {r['regret'][-1]:.4f}, {r['kept']} kept, {r['aborted']} aborted, "
                  f"{r['predicted']}/{r['runs']} predicted, {r['wall_s']:.0f} s", flush=True)
    print(f'{len(todo)} campaigns in {time.time() - t0:.0f} s with {args.jobs} processes\n', flush=True)
    report([r for r in recs if r['record']['runs'] == nruns], args.policies, args.experiments)

def _simulated_clock(db, hours):
    """Give a simulated campaign's ledger the simulated clock: each experiment's start and end at the simulated hours
    (its runs' recorded times, confirmations included) and the campaign's wall_s their sum, so a report's hours
    (Table 1's wall h, Figure 3) are simulated hours, not the seconds the simulation took. Its policy state goes."""
    import sqlite3
    from autoresearch_rl.ledger import Ledger
    led = Ledger(db)
    ids = [r['id'] for r in led.rows()]
    assert len(ids) == len(hours), (len(ids), len(hours))
    t0 = led.rows()[0]['created']
    led.set_meta('wall_s', hours[-1] * 3600)
    led.close()
    con = sqlite3.connect(db)
    with con:
        for j, i in enumerate(ids):
            con.execute('update experiments set created = ?, finished = ? where id = ?',
                        (t0 + 3600 * (hours[j - 1] if j else 0.0), t0 + 3600 * hours[j], i))
        con.execute('delete from policy_state')
    con.execute('vacuum'); con.close()

def study(args, record, surrogate, oracle):
    "One simulated campaign per policy, ledgers kept in args.study with a compare study file (labelled simulated)."
    import logging
    from autoresearch_rl import report
    logging.getLogger('autoresearch_rl').setLevel(logging.ERROR)
    out, seed, n = Path(args.study), args.first_seed, args.experiments
    out.mkdir(parents=True, exist_ok=True)
    key = {'edit-ppo-nose': 'edit-ppo/no-se'}
    nruns = sum(len(v) for v in record.by_key.values())
    protocol = dict(simulated=f'SIMULATED on the benchmark of record ({nruns} runs of {len(record.by_key)} configurations, cpu profile '
                              f'version {record.profile_version}, {record.budget_s:g} s on the {record.clock} clock)',
                    experiments=n, seed=seed, baseline_seeds=2, confirm_seeds=1)
    tags = {}
    for name in args.policies:
        tag = f'{name}-{seed}'
        if not (out / tag / 'ledger.db').exists():
            r = one_campaign(name, seed, record, surrogate, n, str(out), oracle)
            _simulated_clock(out / tag / 'ledger.db', r['hours'])
            print(f"{name}: final regret {r['regret'][-1]:.4f}, {r['kept']} kept, {r['aborted']} aborted, {r['wall_s']:.0f} s", flush=True)
        tags[key.get(name, name)] = tag
    st = report.Study.create(out / 'sim-compare.study.json', kind='compare', campaigns=tags, protocol=protocol)
    for tag in tags.values():        # the ledgers are what the report reads: the campaigns' git repositories are not kept
        import shutil
        for extra in (out / tag).iterdir():
            if extra.name != 'ledger.db': shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
    print(f'wrote {st.path}: autoresearch-rl figures --runs-dir {out} --out figures', flush=True)

if __name__ == '__main__': main()
