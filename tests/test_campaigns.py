"""The campaign notebooks end to end: `autoresearch-rl campaign compare` through papermill with a tiny budget,
then `autoresearch-rl figures` rebuilding Table 1 and the figures from the ledgers alone; a rerun resumes, a rerun
with another protocol is refused."""
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT

CLI = [sys.executable, '-c', 'import sys; from autoresearch_rl.cli import main; sys.exit(main())']

def cli(args, cache, timeout=900):
    env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')}
    env['AUTORESEARCH_CACHE'] = str(cache)
    return subprocess.run(CLI + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    from conftest import run
    c = tmp_path_factory.mktemp('campcache')
    assert run(['-m', 'frozen.prepare'], c).returncode == 0
    return c

def test_compare_notebook_then_figures(cache, tmp_path):
    runs = tmp_path / 'runs'
    params = ['-p', 'methods', 'random', '-p', 'experiments', '3', '-p', 'budget', '2', '-p', 'baseline_seeds', '2',
              '-p', 'confirm_seeds', '0', '-p', 'prefix', 'tiny', '-p', 'runs_dir', str(runs)]
    r = cli(['campaign', 'compare', *params], cache)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    study = json.loads((runs / 'tiny.study.json').read_text())
    assert study['kind'] == 'compare' and study['campaigns'] == {'random': 'tiny-random'}
    assert study['protocol']['budget_s'] == 2 and study['protocol']['experiments'] == 3
    from autoresearch_rl.ledger import Ledger
    led = Ledger(runs / 'tiny-random' / 'ledger.db'); rows = led.rows(); led.close()
    assert len(rows) == 3 and rows[0]['description'] == 'baseline'
    executed = list((runs / 'notebooks').glob('compare-*.ipynb'))
    assert len(executed) == 1
    nb = json.loads(executed[0].read_text())
    outputs = json.dumps([c.get('outputs', []) for c in nb['cells']])
    assert 'Random search' in outputs and f"{rows[0]['val_bpb']:.4f}"[:5] in outputs   # Table 1 was rendered
    # the report from the ledgers alone
    r = cli(['figures', '--runs-dir', str(runs), '--out', str(tmp_path / 'figs')], cache)
    assert r.returncode == 0, r.stderr
    out = tmp_path / 'figs' / 'tiny'
    for name in ('table1.md', 'table1.tex', 'selfeval.md', 'figure2.png', 'figure2.pdf', 'figure3.png', 'changes.md', 'README.md'):
        assert (out / name).stat().st_size > 0, name
    table = (out / 'table1.md').read_text().splitlines()
    human, random_row = table[2].split(' | '), table[3].split(' | ')
    assert human[0] == '| Human baseline (train.py as given)' and float(human[1]) == pytest.approx(rows[0]['val_bpb'], abs=1e-4)
    best = [x['val_bpb'] for x in rows if x['kept']][-1]
    assert random_row[0] == '| Random search' and float(random_row[1]) == pytest.approx(best, abs=1e-4) and random_row[4] == '3'   # [3]: the baseline's seed sd
    # the same command again resumes: the campaign is complete, nothing new runs
    r = cli(['campaign', 'compare', *params], cache)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    led = Ledger(runs / 'tiny-random' / 'ledger.db'); assert len(led.rows(done_only=False)) == 3; led.close()
    # another protocol under the same prefix would make the numbers incomparable: refused, with the fix named
    r = cli(['campaign', 'compare', *params, '-p', 'budget', '3'], cache)   # the last -p wins
    assert r.returncode == 1 and 'rerun with the same parameters' in r.stderr + r.stdout, (r.stdout + r.stderr)[-2000:]
