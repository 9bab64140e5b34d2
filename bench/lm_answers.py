"""What the LM policy's answers are before it learns anything: per grammar and temperature, how many apply and
compile, how long each takes, and how diverse they are (issue 22).

    python bench/lm_answers.py [--answers 30] [--actions constant replace] [--temperatures 0.7 1.0 1.5]

SmolLM2-135M-Instruct with fresh LoRA adapters (so the base model's own distribution), on the default train.py
with a short history (the baseline and two tried edits), no PPO update, one thread per answer stream on this
machine. For each (actions, temperature): the fraction of answers that apply and compile, the median seconds per
answer, the number of distinct answers, the plug-in entropy of the answers (nats; log of the number of distinct
choices is its ceiling) and the most frequent ones. For 'replace' (a free rewrite of one constant's line) it also
counts which rewrites set a value on the catalogue's grid, a literal off the grid, or something else (an
expression, another name), and which change nothing. Appends one record per (actions, temperature) to
bench/data/lm_answers.jsonl.
"""
import argparse, collections, json, math, statistics, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / 'bench' / 'data' / 'lm_answers.jsonl'

def kind_of(old:str, new:str) -> str:
    "How a rewrite changed the constants: 'grid' (one constant to a grid value), 'off-grid' (a literal off it), 'other'."
    from autoresearch_rl.policies import read_constants, CPU_GRID
    a, b = read_constants(old), read_constants(new)
    changed = {k for k in set(a) | set(b) if a.get(k, object()) != b.get(k, object())}
    if len(changed) != 1: return 'other'
    (k,) = changed
    if k not in b or k not in a: return 'other'
    import ast
    grid = [ast.literal_eval(v) for v in CPU_GRID.get(k, [])]
    return 'grid' if b[k] in grid and type(b[k]) in {type(g) for g in grid} else 'off-grid'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--answers', type=int, default=30)
    ap.add_argument('--actions', nargs='+', default=['constant', 'replace'], choices=['constant', 'replace'])
    ap.add_argument('--temperatures', type=float, nargs='+', default=[0.7, 1.0, 1.5])
    args = ap.parse_args(argv)
    warnings.simplefilter('ignore')
    import torch; torch.set_num_threads(2)
    from autoresearch_rl.diffs import apply_edits, compile_error
    from autoresearch_rl.lm_policy import LMPolicy, LMPolicyConfig
    from autoresearch_rl.mdp import build_state, ExperimentSummary
    code = (ROOT / 'train.py').read_text()
    hist = [ExperimentSummary(1, 'baseline', '', 'ok', 2.44, kept=True, kind='baseline'),
            ExperimentSummary(2, 'lm: LR=0.012', '', 'ok', 2.47), ExperimentSummary(3, 'lm: DEPTH=3', '', 'aborted', None)]
    state = build_state(code, 2.44, hist)
    for actions in args.actions:
        for temp in args.temperatures:
            pol = LMPolicy(LMPolicyConfig(actions=actions, temperature=temp, resample=0), seed=0)   # fresh adapters
            answers, secs, ok, kinds = collections.Counter(), [], 0, collections.Counter()
            for i in range(args.answers):
                t0 = time.time()
                a = pol.propose(state)
                secs.append(time.time() - t0)
                new = apply_edits(code, a.edit) if a.edit is not None else None
                good = new is not None and compile_error(new) is None and new != code
                ok += good
                answers[a.description] += 1
                if actions == 'replace': kinds['unchanged' if new is None else (kind_of(code, new) if good else 'no compile')] += 1
            n = args.answers
            rec = dict(date=time.strftime('%Y-%m-%d %H:%M'), actions=actions, temperature=temp, answers=n,
                       apply_and_compile=ok / n, s_per_answer_median=round(statistics.median(secs), 2),
                       prompt_tokens=len(pol.prompt(state)), distinct=len(answers),
                       entropy_nats=round(-sum(c / n * math.log(c / n) for c in answers.values()), 3),
                       top=answers.most_common(8), kinds=dict(kinds) or None)
            with open(OUT, 'a') as f: f.write(json.dumps(rec) + '\n')
            print(json.dumps(rec), flush=True)

if __name__ == '__main__': main()
