"""The LM policy (SmolLM2-135M-Instruct + LoRA + PPO) in a short real campaign on the cpu profile.

    python bench/lm_policy.py [--proposals 16] [--budget 5] [--max-new-tokens 256]

Measures seconds per proposal (prompt prefill + sampling + scoring), seconds per PPO update, and the fraction
of answers that apply and compile, in the first and the last half of the campaign. Appends one record to
bench/data/lm_policy.jsonl and prints it.
"""
import argparse, json, statistics, tempfile, time
from pathlib import Path
from autoresearch_rl.lm_policy import LMPolicy, LMPolicyConfig
from autoresearch_rl.loop import Campaign, CampaignConfig
from autoresearch_rl.mdp import Terminate

ROOT = Path(__file__).resolve().parents[1]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--proposals', type=int, default=16)
    ap.add_argument('--budget', type=float, default=5)
    ap.add_argument('--max-new-tokens', type=int, default=256)
    args = ap.parse_args()
    t0 = time.time()
    pol = LMPolicy(LMPolicyConfig(max_new_tokens=args.max_new_tokens, resample=0), seed=0)
    load_s = time.time() - t0
    valid = []
    orig = pol.propose
    def propose(state):
        a = orig(state); valid.append(not a.description.startswith('lm: unusable')); return a
    pol.propose = propose
    with tempfile.TemporaryDirectory() as runs:
        camp = Campaign(pol, CampaignConfig(tag='lm', runs_dir=runs, budget_s=args.budget, baseline_seeds=1, confirm_seeds=0,
                                            terminate=Terminate(max_experiments=args.proposals + 1)))
        why = camp.run(progress_bar=False)
        if why == 'stop requested': camp.close(); raise SystemExit('stopped by a signal')
        rows = camp.ledger.rows()
        camp.close()
    half = len(valid) // 2
    rec = dict(date=time.strftime('%Y-%m-%d'), model='SmolLM2-135M-Instruct (gguf Q4_1, fp32)', load_s=load_s,
               proposals=len(valid),
               propose_s_median=statistics.median(pol.stats['propose_s']),
               update_s_median=statistics.median(pol.stats['update_s']) if pol.stats['update_s'] else None,
               updates=pol.ppo.updates, valid_first_half=sum(valid[:half]) / max(1, half),
               valid_second_half=sum(valid[half:]) / max(1, len(valid) - half),
               statuses=[r['status'] for r in rows], descriptions=[r['description'][:120] for r in rows],
               last_stats=pol.last_stats)
    (ROOT / 'bench' / 'data').mkdir(exist_ok=True)
    with open(ROOT / 'bench' / 'data' / 'lm_policy.jsonl', 'a') as f: f.write(json.dumps(rec) + '\n')
    print(json.dumps(rec, indent=1))

if __name__ == '__main__': main()
