"""The research loop end to end through the CLI, with real train.py runs of a few seconds: a short campaign,
SIGKILL of the driver at random moments with resume, and the stop file. Also many kinds of bad actions."""
import os, random, signal, sqlite3, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import ROOT

CLI = [sys.executable, '-c', 'import sys; from autoresearch_rl.cli import main; sys.exit(main())']

def cli(args, cache, timeout=900, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')}
    env['AUTORESEARCH_CACHE'] = str(cache)
    return subprocess.run(CLI + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)

def consistent(runs, tag):
    "Ledger rows and the git branch agree: ids 1..n, at most one interrupted, every kept row's commit on the branch."
    from autoresearch_rl.ledger import Ledger, GitBranch
    led = Ledger(Path(runs) / tag / 'ledger.db')
    rows = led.rows(done_only=False)
    assert [r['id'] for r in rows] == list(range(1, len(rows) + 1))
    assert len(led.pending()) <= 1 and all(r['id'] == max(x['id'] for x in rows) for r in rows if r['state'] != 'done')
    repo = Path(runs) / tag / 'repo'
    if not (repo.exists() and GitBranch(repo, tag).has_branch()):
        # killed while the campaign was being set up (ledger made, repository or branch not yet): nothing may have run
        assert rows == [], f'{len(rows)} experiments in the ledger but no branch autoresearch/{tag}'
        led.close()
        return rows
    git = GitBranch(repo, tag)
    led.reconcile(git)                        # what a resume does first
    kept = [r for r in led.rows() if r['kept']]
    assert all(git.find(r['id']) == r['commit_sha'] for r in kept)
    if kept: assert git.code() == kept[-1]['code']
    log = git._git('log', git.branch, '--format=%B').stdout
    assert sorted(int(l.split(': ')[1]) for l in log.splitlines() if l.startswith('Experiment: ')) == [r['id'] for r in kept]
    led.close()
    return rows

@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    from conftest import run
    c = tmp_path_factory.mktemp('loopcache')
    assert run(['-m', 'frozen.prepare'], c).returncode == 0
    return c

BASE = ['--budget', '3', '--baseline-seeds', '2', '--confirm-seeds', '1', '--no-selfeval']

def test_short_campaign(cache, tmp_path):
    runs = str(tmp_path / 'runs')                 # the campaign itself is started with a relative --runs-dir
    r = cli(['run', '--policy', 'random', '--experiments', '4', '--tag', 'e2e', '--runs-dir', 'runs'] + BASE, cache,
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'stopped: 4 experiments done' in r.stdout and 'best val_bpb:' in r.stdout
    rows = consistent(runs, 'e2e')
    assert len(rows) == 4 and rows[0]['description'] == 'baseline' and len(rows[0]['seed_bpbs']) == 2
    # random search edits only constants from its grid: every run must train and be measured (a crash, a
    # timeout or a divergence here is a bug of the harness or of train.py, not an outcome to accept)
    assert rows[0]['kind'] == 'baseline' and all(r['kind'] == 'proposal' for r in rows[1:])
    assert all(r['status'] == 'ok' for r in rows), [(r['status'], r['commentary'][:200]) for r in rows]
    s = cli(['status', '--tag', 'e2e', '--runs-dir', runs], cache)
    assert s.returncode == 0 and 'baseline' in s.stdout
    out = tmp_path / 'results.tsv'
    t = cli(['export-tsv', '--tag', 'e2e', '--runs-dir', runs, '--out', str(out)], cache)
    assert t.returncode == 0 and len(out.read_text().splitlines()) == 5
    again = cli(['run', '--tag', 'e2e', '--runs-dir', runs] + BASE, cache)   # exists: refused without --resume
    assert again.returncode == 2 and 'pass --resume' in again.stderr

def test_sigkill_and_resume(cache, tmp_path):
    runs, rng = str(tmp_path / 'runs'), random.Random(7)
    args = ['run', '--policy', 'random', '--tag', 'kill', '--runs-dir', runs, '--resume', '--budget', '1',
            '--baseline-seeds', '2', '--confirm-seeds', '1', '--no-selfeval']
    env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')}
    env['AUTORESEARCH_CACHE'] = str(cache)
    for trial in range(20):                   # the issue asks for >= 20 kills at random moments
        p = subprocess.Popen(CLI + args + ['--experiments', '12'], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(1.5, 9))
        os.killpg(p.pid, signal.SIGKILL)      # the driver and everything it started, at a random instant
        p.wait()
        if (Path(runs) / 'kill' / 'ledger.db').exists(): consistent(runs, 'kill')
    r = cli(args + ['--experiments', '7'], cache)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = consistent(runs, 'kill')
    assert len(rows) >= 7 and all(r['state'] == 'done' for r in rows)

def test_stop_file(cache, tmp_path):
    runs = tmp_path / 'runs'
    (runs / 'stopme').mkdir(parents=True)
    (runs / 'stopme' / 'STOP').touch()
    r = cli(['run', '--tag', 'stopme', '--runs-dir', str(runs)] + BASE, cache)
    assert r.returncode == 0 and 'stopped: stop file' in r.stdout
    # --resume means "continue": the STOP left by the earlier stop request is removed, and the campaign runs
    r = cli(['run', '--tag', 'stopme', '--runs-dir', str(runs), '--resume', '--experiments', '1'] + BASE, cache)
    assert r.returncode == 0 and 'removed' in r.stdout and 'stopped: 1 experiments done' in r.stdout, r.stdout[-2000:]
    assert not (runs / 'stopme' / 'STOP').exists()
    live = __import__('json').loads((runs / 'stopme' / 'live.json').read_text())     # the dashboard's live file
    assert live['state'] == 'stopped' and live['tag'] == 'stopme'

BAD_ACTIONS = [
    ('prose only', 'make the model better', 'neither a unified diff'),
    ('hunk header only', '@@ -1,1 +1,1 @@\n', 'a hunk has no lines'),
    ('wrong context', '@@ -30,1 +30,1 @@\n-DEPTH = 99\n+DEPTH = 3\n', 'not found in the code'),
    ('garbage line in hunk', '@@ -1,3 +1,3 @@\n """\n?? what\n-Pretrain a small GPT\n', 'malformed diff line'),
    ('search not found', '<<<<<<< SEARCH\nNOT IN FILE\n=======\nx\n>>>>>>> REPLACE\n', 'not found in the code'),
    ('search ambiguous', '<<<<<<< SEARCH\n        super().__init__()\n=======\n        super().__init__()  # x\n>>>>>>> REPLACE\n',
     r'found \d+ times: quote more lines'),
    ('search blank line', '<<<<<<< SEARCH\n\n=======\nx\n>>>>>>> REPLACE\n', 'SEARCH'),
    ('empty search', '<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n', 'SEARCH'),
]

@pytest.mark.parametrize('name,action,message', BAD_ACTIONS, ids=[b[0] for b in BAD_ACTIONS])
def test_bad_actions(name, action, message):
    from autoresearch_rl.diffs import apply_action, DiffError
    src = (ROOT / 'train.py').read_text()
    with pytest.raises(DiffError, match=message): apply_action(src, action)

def test_edit_that_breaks_syntax_is_caught():
    from autoresearch_rl.diffs import apply_action, compile_error
    src = (ROOT / 'train.py').read_text()
    new = apply_action(src, '<<<<<<< SEARCH\nDEPTH = 8 if ON_GPU_PROFILE else 2          # transformer layers\n'
                            '=======\nDEPTH = (8 if\n>>>>>>> REPLACE\n')
    assert compile_error(new).startswith('train.py:')

def test_failing_baseline_stops_the_campaign(cache, tmp_path):
    bad = tmp_path / 'train.py'
    bad.write_text((ROOT / 'train.py').read_text().replace('import frozen\n', 'import frozen\nraise SystemExit("broken baseline")\n', 1))
    r = cli(['run', '--tag', 'badbase', '--runs-dir', str(tmp_path / 'runs'), '--train-py', str(bad)] + BASE, cache)
    assert r.returncode == 1 and 'the baseline failed (crash' in r.stdout and 'broken baseline' in r.stdout
    assert r.stdout.count('baseline  crash') == 1     # one failed baseline, not a loop of them

def test_edit_ppo_resume_keeps_learning_state(cache, tmp_path):
    """The default agent through the CLI: every proposal applies; its PPO state (network, Adam moments, step
    counters, the unfinished rollout) is saved in the ledger after each experiment and restored on --resume,
    so learning continues where it stopped (rollouts of 6: one update after 6 proposals, the next after 12)."""
    import io, torch
    from autoresearch_rl.ledger import Ledger
    runs = str(tmp_path / 'runs')
    args = ['run', '--tag', 'ppo', '--runs-dir', runs, '--budget', '1', '--baseline-seeds', '1', '--confirm-seeds', '0',
            '--no-selfeval']
    def policy_state():
        led = Ledger(Path(runs) / 'ppo' / 'ledger.db')
        blob, _ = led.load_policy(); rows = led.rows(); led.close()
        return torch.load(io.BytesIO(blob), weights_only=False), rows
    r = cli(args + ['--experiments', '9'], cache)                 # baseline + 8 proposals
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'policy edit-ppo' in r.stdout
    d, rows = policy_state()
    assert (d['updates'], len(d['buffer']), d['steps']) == (1, 2, 8)   # 4 epochs x 2 minibatches of 3
    assert all(row['status'] != 'syntax' and '=' in row['description'] for row in rows[1:])
    r = cli(args + ['--experiments', '13', '--resume'], cache)    # 4 more: the 2 buffered + 4 = a full rollout
    assert r.returncode == 0, r.stderr[-2000:]
    d2, rows = policy_state()
    assert len(rows) == 13 and (d2['updates'], len(d2['buffer']), d2['steps']) == (2, 0, 16)
    assert not torch.equal(d['net']['pi.weight'], d2['net']['pi.weight'])
