"""Harness overhead per experiment: everything but training (start-up, export, trusted evaluation), as a fraction
of the budget, for set-ups measured side by side: the fork server + TorchScript hand-over (the default), a fresh
interpreter per run + TorchScript, and a fresh interpreter + torch.export. Every set-up runs the experiment and
the evaluator's host and scorer in the sandbox, fresh per run.

    python bench/harness_overhead.py [--budget 60] [--runs 3] [--modes 0 1 2] [--out harness_overhead.csv]

Runs the default train.py through autoresearch_rl.runner, interleaving the set-ups so that machine noise hits
all alike. Prints a table last and writes harness_overhead.csv.
"""
import argparse, csv, statistics
from pathlib import Path
from autoresearch_rl.runner import RunnerConfig, run_experiment, warm_up

ROOT = Path(__file__).resolve().parents[1]
MODES = [('fork server + sandboxed host/scorer + torchscript', dict(fork_server=True, handover='torchscript')),
         ('fresh interpreter + sandboxed host/scorer + torchscript', dict(fork_server=False, handover='torchscript')),
         ('fresh interpreter + sandboxed host/scorer + export', dict(fork_server=False, handover='export'))]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=60)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--modes', type=int, nargs='+', default=list(range(len(MODES))))
    ap.add_argument('--out', default='harness_overhead.csv')
    args = ap.parse_args()
    modes = [MODES[i] for i in args.modes]
    src = (ROOT / 'train.py').read_text()
    rows = []
    warm_up(RunnerConfig())   # a campaign starts its warm helpers before the first run; so does this bench
    for i in range(args.runs):
        for mode, kw in modes:
            o = run_experiment(src, RunnerConfig(budget_s=args.budget, **kw), seed=i)
            export_s = o.summary.get('export_seconds', float('nan'))
            startup_s = o.startup_s if o.startup_s is not None else float('nan')
            row = dict(mode=mode, seed=i, status=o.status, val_bpb=o.val_bpb, tokens_per_s=o.summary.get('tokens_per_second'),
                       training_s=o.training_s, startup_s=startup_s, export_s=export_s, eval_s=o.eval_s, cpu_s=o.cpu_s,
                       total_s=o.total_s, overhead_s=o.total_s - o.training_s)
            rows.append(row)
            print(', '.join(f'{k}={v:.3f}' if isinstance(v, float) else f'{k}={v}' for k, v in row.items()), flush=True)
    with open(ROOT / 'bench' / args.out, 'w', newline='') as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader(); w.writerows(rows)
    print(f'\n| mode | runs | start-up s | export s | trusted eval s | overhead s | overhead / budget | duty cycle | tokens/s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for mode, _ in modes:
        rs = [r for r in rows if r['mode'] == mode and r['status'] == 'ok']
        if not rs: continue
        med = lambda k: statistics.median(r[k] for r in rs)
        print(f"| {mode} | {len(rs)} | {med('startup_s'):.2f} | {med('export_s'):.2f} | {med('eval_s'):.2f} | "
              f"{med('overhead_s'):.2f} | {med('overhead_s') / args.budget:.1%} | "
              f"{statistics.median(r['training_s'] / r['total_s'] for r in rs):.3f} | {med('tokens_per_s'):.0f} |")

if __name__ == '__main__': main()
