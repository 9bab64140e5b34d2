"Shared fixtures: a cpu-profile cache prepared once per session into a temporary folder, and train.py runs."
import json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

def run(args, cache, cwd=ROOT, timeout=300, **env):
    "Run `python *args` with AUTORESEARCH_CACHE=cache and extra environment variables; return the CompletedProcess."
    full_env = {k: v for k, v in os.environ.items() if not k.startswith('AUTORESEARCH_')}  # hermetic
    full_env.update(AUTORESEARCH_CACHE=str(cache), **{k: str(v) for k, v in env.items()})
    return subprocess.run([PY, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)

def summary(stdout):
    "The `key: value` lines after the final `---` of a train.py run."
    assert '\n---\n' in stdout, stdout[-2000:]
    lines = stdout.rsplit('\n---\n', 1)[1].strip().splitlines()
    out = {}
    for line in lines:
        k, v = line.split(': ', 1)
        try: out[k] = float(v)
        except ValueError: out[k] = v
    return out

def progress_lines(stdout, prefix='@@progress '):
    return [json.loads(l[len(prefix):]) for l in stdout.splitlines() if l.startswith(prefix)]

@pytest.fixture(scope='session')
def cpu_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp('cache')
    r = run(['-m', 'frozen.prepare', '--profile', 'cpu'], cache)
    assert r.returncode == 0, r.stderr
    return cache

def pytest_terminal_summary(terminalreporter):
    "The adversarial suite's count: hostile variants tried, held (the harness recorded the right outcome), failed."
    seen = {}
    for key in ('passed', 'failed', 'skipped', 'error'):
        for rep in terminalreporter.stats.get(key, []):
            nodeid = getattr(rep, 'nodeid', '')
            if 'adversarial/' in nodeid and (key != 'passed' or rep.when == 'call'):
                seen[nodeid] = 'held' if key == 'passed' else ('not applicable here' if key == 'skipped' else 'failed')
    if seen:
        counts = {v: sum(1 for x in seen.values() if x == v) for v in ('held', 'failed', 'not applicable here')}
        terminalreporter.write_line(f"adversarial suite: {len(seen)} hostile variants tried, {counts['held']} held, "
                                    f"{counts['failed']} failed, {counts['not applicable here']} not applicable on this machine")
