"""Harness overhead per experiment: everything but training (start-up, export, trusted evaluation), as a fraction
of the budget, for set-ups measured side by side: fork server + warm evaluator + TorchScript hand-over (the
default), a fresh interpreter per run + warm evaluator + TorchScript, and a fresh interpreter + a fresh evaluator
process per run + torch.export (the first design).

    python bench/harness_overhead.py [--budget 60] [--runs 3]

Runs the default train.py through autoresearch_rl.runner, interleaving the set-ups so that machine noise hits
all alike. Prints a table last and writes harness_overhead.csv.
"""
import argparse, csv, statistics
from pathlib import Path
from autoresearch_rl.runner import RunnerConfig, run_experiment, warm_up

ROOT = Path(__file__).resolve().parents[1]
MODES = [('fork server + warm evaluator + torchscript', dict(fork_server=True, persistent_evaluator=True, handover='torchscript')),
         ('fresh interpreter + warm evaluator + torchscript', dict(fork_server=False, persistent_evaluator=True, handover='torchscript')),
         ('fresh interpreter + fresh evaluator + export', dict(fork_server=False, persistent_evaluator=False, handover='export'))]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=60)
    ap.add_argument('--runs', type=int, default=3)
    args = ap.parse_args()
    src = (ROOT / 'train.py').read_text()
    rows = []
    warm_up(RunnerConfig())   # a campaign starts its warm helpers before the first run; so does this bench
    for i in range(args.runs):
        for mode, kw in MODES:
            o = run_experiment(src, RunnerConfig(budget_s=args.budget, **kw), seed=i)
            export_s = o.summary.get('export_seconds', float('nan'))
            startup_s = o.startup_s if o.startup_s is not None else float('nan')
            row = dict(mode=mode, seed=i, status=o.status, val_bpb=o.val_bpb, tokens_per_s=o.summary.get('tokens_per_second'),
                       training_s=o.training_s, startup_s=startup_s, export_s=export_s, eval_s=o.eval_s,
                       total_s=o.total_s, overhead_s=o.total_s - o.training_s)
            rows.append(row)
            print(', '.join(f'{k}={v:.3f}' if isinstance(v, float) else f'{k}={v}' for k, v in row.items()), flush=True)
    with open(ROOT / 'bench' / 'harness_overhead.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader(); w.writerows(rows)
    print(f'\n| mode | runs | start-up s | export s | trusted eval s | overhead s | overhead / budget | duty cycle | tokens/s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for mode, _ in MODES:
        rs = [r for r in rows if r['mode'] == mode and r['status'] == 'ok']
        if not rs: continue
        med = lambda k: statistics.median(r[k] for r in rs)
        print(f"| {mode} | {len(rs)} | {med('startup_s'):.2f} | {med('export_s'):.2f} | {med('eval_s'):.2f} | "
              f"{med('overhead_s'):.2f} | {med('overhead_s') / args.budget:.1%} | "
              f"{statistics.median(r['training_s'] / r['total_s'] for r in rs):.3f} | {med('tokens_per_s'):.0f} |")

if __name__ == '__main__': main()
