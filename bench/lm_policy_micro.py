"""Seconds per proposal and per PPO update of the LM policy with SmolLM2-135M-Instruct on the real prompt
(program.md + the default train.py), on this machine; the campaign version is bench/lm_policy.py.

    python bench/lm_policy_micro.py [--proposals 2] [--max-new-tokens 256] [--temperature 1.0] [--no-update]
"""
import argparse, json, time
from pathlib import Path
from autoresearch_rl.lm_policy import LMPolicy, LMPolicyConfig
from autoresearch_rl.mdp import build_state, ExperimentSummary
from autoresearch_rl.ppo import PPOConfig

ROOT = Path(__file__).resolve().parents[1]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--proposals', type=int, default=2)
    ap.add_argument('--max-new-tokens', type=int, default=256)
    ap.add_argument('--temperature', type=float, default=None, help='default: LMPolicyConfig().temperature')
    ap.add_argument('--no-update', action='store_true', help='measure proposals only')
    args = ap.parse_args()
    t0 = time.time()
    temp = args.temperature if args.temperature is not None else LMPolicyConfig().temperature
    pol = LMPolicy(LMPolicyConfig(max_new_tokens=args.max_new_tokens, resample=0, temperature=temp),
                   PPOConfig(lr=5e-5, warmup_steps=50, rollout_steps=args.proposals, minibatch_size=2, update_epochs=1), seed=0)
    load_s = time.time() - t0
    code = (ROOT / 'train.py').read_text()
    state = build_state(code, 2.37, [ExperimentSummary(1, 'baseline', '', 'ok', 2.37, kept=True)])
    n_prompt = len(pol.prompt(state))
    acts, secs = [], []
    for i in range(args.proposals):
        t = time.time(); acts.append(pol.propose(state)); secs.append(time.time() - t)
        print(f'proposal {i}: {secs[-1]:.1f} s, {len(acts[-1].info["a"])} tokens: {acts[-1].description[:100]}', flush=True)
    t = time.time()
    stats = None if args.no_update else pol.update([(state, a, -0.1 if a.description.startswith('lm: unusable') else 0.0, state) for a in acts])
    update_s = None if args.no_update else time.time() - t
    rec = dict(date=time.strftime('%Y-%m-%d'), load_s=round(load_s, 1), prompt_tokens=n_prompt, max_new_tokens=args.max_new_tokens,
               propose_s=[round(s, 1) for s in secs], answer_tokens=[len(a.info['a']) for a in acts],
               valid=[not a.description.startswith('lm: unusable') for a in acts],
               temperature=temp, format_example=True,
               update_s=None if update_s is None else round(update_s, 1), update_transitions=args.proposals, update_epochs=1, stats=stats,
               answers=[a.info.get('text', '')[:300] for a in acts])
    (ROOT / 'bench' / 'data').mkdir(exist_ok=True)
    with open(ROOT / 'bench' / 'data' / 'lm_policy.jsonl', 'a') as f: f.write(json.dumps(rec) + '\n')
    print(json.dumps(rec, indent=1))

if __name__ == '__main__': main()
