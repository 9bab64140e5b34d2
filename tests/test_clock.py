"""The budget clock (issue 17): on the cpu profile a budget is CPU seconds received over the pinned threads, read by
train.py through `frozen.clock()` and by the harness from the experiment's cgroup; a busy machine changes how long a
run takes, not how much it computes. The clock is part of a result's identity: campaigns and reports refuse to
compare results measured on different clocks, and ledgers from before it read as wall-clock."""
import multiprocessing as mp, os, sqlite3, subprocess, sys, time
import pytest
from conftest import ROOT

def _spin():
    while True: pass

def _clock_deltas(clock):
    """In a fresh interpreter: the budget clock across a 0.6 s sleep, and across a busy loop that runs until the
    process has received 0.3 CPU seconds (however busy the machine: on a loaded one that takes longer), with the
    CPU seconds the process itself counted over that loop."""
    code = ('import time, frozen\n'
            't = frozen.clock(); time.sleep(0.6); slept = frozen.clock() - t\n'
            't = frozen.clock(); c = time.process_time(); w = time.time()\n'
            'while time.process_time() - c < 0.3 and time.time() - w < 30: sum(range(1000))\n'
            'print(slept, frozen.clock() - t, time.process_time() - c, time.time() - w, frozen.CLOCK, frozen.THREADS)\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')} | dict(AUTORESEARCH_CLOCK=clock)
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    slept, busy, cpu, wall, name, threads = out.split()
    return float(slept), float(busy), float(cpu), float(wall), name, int(threads)

def test_cpu_clock_counts_compute_not_waiting():
    """On the cpu clock, sleeping costs nothing and a busy thread costs its CPU seconds over the pinned threads,
    measured against the CPU the process counted itself, so the check holds on an idle or a busy machine."""
    slept, busy, cpu, wall, name, threads = _clock_deltas('cpu')
    assert name == 'cpu' and threads == 2                     # the cpu profile pins 2 threads
    assert slept < 0.05                                       # sleeping costs nothing on the cpu clock
    assert cpu >= 0.3 and abs(busy - cpu / threads) < 0.03, (busy, cpu, wall)   # one busy thread: its CPU s / 2 threads
    slept, busy, cpu, wall, name, _ = _clock_deltas('wall')
    assert name == 'wall' and slept >= 0.55 and abs(busy - wall) < 0.03, (slept, busy, wall)

def test_bad_clock_is_refused():
    env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')} | dict(AUTORESEARCH_CLOCK='sundial')
    r = subprocess.run([sys.executable, '-c', 'import frozen'], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "choose 'cpu' or 'wall'" in r.stderr
    from autoresearch_rl.runner import RunnerConfig, check_runner_config
    with pytest.raises(ValueError, match='RunnerConfig.clock'): check_runner_config(RunnerConfig(clock='sundial'))

@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    from conftest import run
    c = tmp_path_factory.mktemp('clockcache')
    assert run(['-m', 'frozen.prepare'], c).returncode == 0
    old = os.environ.get('AUTORESEARCH_CACHE'); os.environ['AUTORESEARCH_CACHE'] = str(c)
    yield c
    if old is None: os.environ.pop('AUTORESEARCH_CACHE')
    else: os.environ['AUTORESEARCH_CACHE'] = old

def test_busy_machine_does_not_change_the_work(cache):
    """The same budget, idle and with every CPU of the machine taken by a spinning process: on the cpu clock the
    run does about the same number of steps (it takes longer). Removing the clock (budget on wall seconds) gives
    about half the steps here, and fails this test on any machine with as many spinners as CPUs."""
    from autoresearch_rl.runner import RunnerConfig, run_experiment
    src = (ROOT / 'train.py').read_text()
    cfg = RunnerConfig(budget_s=4, startup_allowance_s=30)
    idle = run_experiment(src, cfg)
    spinners = [mp.Process(target=_spin, daemon=True) for _ in range(os.cpu_count() or 2)]
    for p in spinners: p.start()
    try: busy = run_experiment(src, cfg)
    finally:
        for p in spinners: p.kill()
    assert idle.status == busy.status == 'ok' and idle.clock == busy.clock == 'cpu', (idle.reason, busy.reason)
    ratio = busy.steps / idle.steps
    assert 0.7 < ratio < 1.4, f'{idle.steps} steps idle, {busy.steps} busy'
    assert busy.cpu_s > 0.7 * idle.cpu_s                      # it received the same CPU, over a longer wall time

def _old_ledger(runs, tag):
    "A ledger as campaigns wrote them before the budget clock: an identity without clock or profile version."
    from autoresearch_rl.ledger import Ledger
    led = Ledger(runs / tag / 'ledger.db')
    led.set_meta('identity', dict(policy='random', profile='cpu', budget_s=3.0, acceptance='noise'))
    led.close()

def test_campaign_refuses_to_resume_on_another_clock(tmp_path):
    from autoresearch_rl.ledger import LedgerError
    from autoresearch_rl.loop import Campaign, CampaignConfig
    from autoresearch_rl.policies import RandomSearch
    _old_ledger(tmp_path, 'old')
    with pytest.raises(LedgerError, match='measured on the wall clock .* this run measures the cpu clock'):
        Campaign(RandomSearch(), CampaignConfig(tag='old', runs_dir=str(tmp_path), budget_s=3.0))

def test_reports_read_old_ledgers_and_refuse_to_mix_clocks(tmp_path):
    from autoresearch_rl.ledger import Ledger, LedgerError
    from autoresearch_rl.report import load_campaign, table1, check_comparable
    _old_ledger(tmp_path, 'old')
    new = Ledger(tmp_path / 'new' / 'ledger.db')
    new.set_meta('identity', dict(policy='random', profile='cpu', budget_s=3.0, acceptance='noise', clock='cpu',
                                  profile_version=2))
    new.close()
    old, cur = load_campaign(tmp_path / 'old'), load_campaign(tmp_path / 'new')
    assert old.clock == 'wall' and old.measure == ('cpu', 1, 'wall', 3.0) and cur.measure == ('cpu', 2, 'cpu', 3.0)
    assert old.noise_floor() == 'noise floor: no baseline yet'
    check_comparable({'a': old, 'b': old})
    with pytest.raises(LedgerError, match='not comparable .*wall clock.*cpu clock'):
        table1({'random': old, 'edit-ppo': cur})
