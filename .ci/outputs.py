"""Store the outputs that teach: run a notebook as nbdev_test does and keep the outputs of the cells listed here
(each found by a line of its source), dropping every other output. Run it after changing one of these cells:

    .venv/bin/python .ci/outputs.py [nbs/08_loop.ipynb ...]        # all listed notebooks when none is named

The cells chosen show a small table or one plot; the numbers of real runs depend on the machine, and the notebook
says so where it matters."""
import json, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))              # this checkout's library, whatever the environment has installed
KEEP = {
    'nbs/03_selfeval.ipynb': ['t = np.linspace(1, 30, 60)', 'ref_t = np.arange(0.5, 60.01, 0.5)', 'rng2 = np.random.default_rng(2)',
                              'def synth_run(offset, budget=60.0):', 'import json, statistics, pandas as pd',
                              "loop = pd.read_csv('../bench/early_abort_loop.csv')", "pd.pivot_table(cov[cov.runs == 'good']",
                              "for ax, half in zip(axes, ('tune', 'test')):", "cv = pd.read_csv('../bench/early_abort_cv.csv')"],
    'nbs/08_loop.ipynb': ["df[['description', 'status', 'val_bpb', 'reward', 'kept']]",
                          "table = camp.ledger.dataframe()"],
    'nbs/10_dashboard.ipynb': ['display(Image(d.best_img.value))', 'Image(d2.live_img.value)'],
}

def keep_outputs(path):
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    path = ROOT / path
    raw = json.loads(path.read_text())
    marks = KEEP[str(path.relative_to(ROOT))]
    nb = read_nb(path)
    skip = lambda c: c.cell_type != 'code' or 'nbdev_export' + '(' in c.source
    k = CaptureShell(path)
    os.environ['IN_TEST'] = '1'
    with working_directory(path.parent): k.run_all(nb, exc_stop=True, preproc=skip)
    found = set()
    for cell, ran in zip(raw['cells'], nb.cells):
        if cell['cell_type'] != 'code': continue
        hit = [m for m in marks if m in ''.join(cell['source'])]
        cell['outputs'] = [dict(o) for o in ran.get('outputs', [])] if hit else []
        for o in cell['outputs']: o.pop('execution_count', None) if o.get('output_type') != 'execute_result' else o.update(execution_count=None)
        cell['execution_count'] = None
        found.update(hit)
    if missing := set(marks) - found: raise SystemExit(f'{path}: no cell holds {sorted(missing)}: update KEEP in {__file__}')
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')
    print(f'{path.relative_to(ROOT)}: outputs kept for {len(found)} cells')

if __name__ == '__main__':
    for p in sys.argv[1:] or KEEP: keep_outputs(p)
