"""The runner as a normal user: the sandbox is built inside a user namespace (no root anywhere), and a hostile
train.py meets the same walls. Run from a root test session by dropping to uid 65534 with setpriv; skipped where
that user cannot run this interpreter (e.g. an interpreter under a 0700 home) or where the tools are missing."""
import json, os, shutil, subprocess, sys, tempfile
import pytest
from pathlib import Path
from conftest import ROOT

NOBODY = 65534
SCRIPT = r'''
import json, os, sys
from autoresearch_rl.runner import RunnerConfig, run_experiment
src = open(sys.argv[1]).read()
probe = """import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
res = dict(mount=libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None), unshare=libc.unshare(0x10000000),
           umount=libc.umount2(b'/usr/lib', 2), project=os.path.exists(PROJECT), uid=os.getuid(),
           cap=open('/proc/self/status').read().split('CapEff:')[1].split()[0])
try: open(PROJECT + '/pwned', 'w'); res['write'] = 'ok'
except OSError as e: res['write'] = e.strerror
print('UNPRIV ' + json.dumps(res))
""".replace('PROJECT', repr(sys.argv[2]))
loop = 'while training_seconds < frozen.TIME_BUDGET_S:'
o = run_experiment(src.replace(loop, probe + loop, 1), RunnerConfig(budget_s=2, startup_allowance_s=30, workdir=sys.argv[3]))
line = next((l for l in o.log_tail.splitlines() if l.startswith('UNPRIV ')), 'UNPRIV null')
print('RESULT ' + json.dumps(dict(status=o.status, val_bpb=o.val_bpb, reason=o.reason, isolation=o.isolation,
                                  probe=json.loads(line[7:]))))
'''

def _as_nobody(args, **kw):
    return subprocess.run(['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', *args], **kw)

@pytest.fixture
def nobody_dir():
    "A work folder uid 65534 can reach: pytest's own tmp folders sit under a 0700 root-owned parent."
    d = tempfile.mkdtemp(prefix='arl-nobody-', dir='/tmp' if os.path.isdir('/tmp') else None)
    os.chmod(d, 0o755); os.chown(d, NOBODY, NOBODY)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)

def test_unprivileged_host_path(nobody_dir):
    if os.geteuid() != 0: pytest.skip('run as root: the test drops to a normal user itself')
    if not shutil.which('setpriv'): pytest.skip('no setpriv here')
    # The harness as uid 65534 starts the interpreter itself: check that from a process of that user, not only from
    # setpriv (which may keep capabilities the interpreter it starts does not have).
    gate = ('import os, subprocess, sys, tempfile; from autoresearch_rl.runner import _die_with_parent; '
            'subprocess.run([sys.executable, "-c", "import torch, autoresearch_rl"], check=True, start_new_session=True, '
            'cwd=tempfile.mkdtemp(dir=sys.argv[1]), env=dict(os.environ), preexec_fn=_die_with_parent)')
    r = _as_nobody([sys.executable, '-c', gate, str(nobody_dir)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f'uid {NOBODY} cannot run {sys.executable} here: {(r.stderr.strip().splitlines() or ["?"])[-1]}')
    work = nobody_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')}
    env.update(AUTORESEARCH_CACHE=str(work / 'cache'), HOME=str(work), TMPDIR=str(work))
    r = _as_nobody([sys.executable, '-m', 'frozen.prepare'], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (work / 'run.py').write_text(SCRIPT)
    r = _as_nobody([sys.executable, str(work / 'run.py'), str(ROOT / 'train.py'), str(ROOT / 'autoresearch_rl'),
                    str(work / 'runs')], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    line = next((l for l in r.stdout.splitlines() if l.startswith('RESULT ')), None)
    assert line, (r.stdout[-2000:], r.stderr[-2000:])
    res = json.loads(line[7:])
    if not res['isolation']['sandbox'].startswith('held'): pytest.skip(res['isolation']['sandbox'])
    assert res['status'] == 'ok' and res['val_bpb'] > 1.0, res
    assert 'user namespace' in res['isolation']['sandbox'], res['isolation']
    p = res['probe']
    assert p['mount'] != 0 and p['unshare'] != 0 and p['umount'] != 0 and not p['project'], p
    assert p['uid'] == NOBODY and p['cap'] == '0000000000000000' and p['write'] != 'ok', p
