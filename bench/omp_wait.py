"""Steps per CPU second, idle vs a two-core load, OMP threads spinning (default) or passive: 10 s, cpu clock, fresh interpreter. Prints JSON lines (bench/data/omp_wait_policy.jsonl holds one run)."""
import json, multiprocessing as mp, os, sys, time
from pathlib import Path; ROOT = Path(__file__).resolve().parents[1]; sys.path.insert(0, str(ROOT))
from autoresearch_rl.runner import RunnerConfig, run_experiment
def spin():
    while True: pass
src = open(ROOT / 'train.py').read()
for seed in (0, 1):
    for policy in ('default', 'PASSIVE'):
        for load in (0, 2):
            if policy == 'PASSIVE': os.environ['OMP_WAIT_POLICY'] = 'PASSIVE'
            else: os.environ.pop('OMP_WAIT_POLICY', None)
            ps = [mp.Process(target=spin, daemon=True) for _ in range(load)]
            for p in ps: p.start()
            try: o = run_experiment(src, RunnerConfig(budget_s=10, fork_server=False), seed=seed)
            finally:
                for p in ps: p.kill()
            print(json.dumps(dict(seed=seed, omp=policy, load=load, status=o.status, val_bpb=o.val_bpb, steps=o.steps,
                                  cpu_s=o.cpu_s, steps_per_cpu_s=o.steps / o.cpu_s if o.cpu_s else None, wall_s=o.total_s)), flush=True)
