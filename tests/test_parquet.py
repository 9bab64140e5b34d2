"""The gpu profile's data path on small parquet shards the test writes: download with retry and resume from a
local HTTP server (loopback only, no network), atomic rename, and prepare end to end."""
import http.server, random, threading
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
import pytest
import frozen.prepare as fp
from frozen import FrozenError

def write_shard(path, n_docs, seed):
    rng = random.Random(seed)
    syllables = [a + b for a in 'bcdfghjklmnprstvwz' for b in 'aeiouy']
    words = [''.join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(4000)]
    docs = [' '.join(rng.choices(words, k=rng.randint(20, 120))) + '.' for _ in range(n_docs)]
    pq.write_table(pa.table({'text': docs, 'id': list(range(n_docs))}), path)
    return path

class FlakyHandler(http.server.SimpleHTTPRequestHandler):
    "Serves a folder; the first GET of each file is cut off halfway, and Range requests are honoured."
    seen, ranges = set(), []
    def log_message(self, *a): pass
    def do_GET(self):
        path = Path(self.directory) / self.path.lstrip('/')
        if not path.exists(): return self.send_error(404)
        data = path.read_bytes()
        start = 0
        if rng := self.headers.get('Range'):
            start = int(rng.split('=')[1].split('-')[0])
            FlakyHandler.ranges.append((path.name, start))
        body = data[start:]
        self.send_response(206 if start else 200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if path.name not in FlakyHandler.seen:          # first request: half the body, then hang up
            FlakyHandler.seen.add(path.name)
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

@pytest.fixture
def server(tmp_path):
    root = tmp_path / 'remote'
    root.mkdir()
    FlakyHandler.seen, FlakyHandler.ranges = set(), []
    handler = lambda *a, **k: FlakyHandler(*a, directory=str(root), **k)
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()

@pytest.fixture(autouse=True)
def fast_retries(monkeypatch): monkeypatch.setattr(fp, 'BACKOFF_S', 0.01)

def test_download_resumes_after_a_cut(server, tmp_path):
    root, url = server
    src = write_shard(root / 'shard_00000.parquet', 300, seed=0)
    dest = fp.download(f'{url}/shard_00000.parquet', tmp_path / 'dl' / 'shard_00000.parquet', timeout=10)
    assert dest.read_bytes() == src.read_bytes()
    assert FlakyHandler.ranges == [('shard_00000.parquet', src.stat().st_size // 2)]  # resumed, not restarted
    assert not list((tmp_path / 'dl').glob('*.part'))

def test_download_missing_file_fails_clearly(server, tmp_path):
    _, url = server
    with pytest.raises(FrozenError, match='HTTP 404'):
        fp.download(f'{url}/shard_99999.parquet', tmp_path / 'x.parquet', timeout=10)
    assert not (tmp_path / 'x.parquet').exists()

def test_download_gives_up_with_a_clear_error(tmp_path):
    # nothing listens on this loopback port: every attempt fails, the error says so and names the partial file
    with pytest.raises(FrozenError, match='failed 2 times'):
        fp.download('http://127.0.0.1:9/shard_00000.parquet', tmp_path / 's.parquet', retries=2, timeout=2)
    assert not (tmp_path / 's.parquet').exists()

def test_prepare_gpu_profile_from_download(server, tmp_path, monkeypatch):
    root, url = server
    for i in range(2): write_shard(root / fp.shard_name(i), 1500, seed=i)
    write_shard(root / fp.shard_name(fp.VAL_SHARD), 400, seed=99)
    monkeypatch.setenv('AUTORESEARCH_CACHE', str(tmp_path / 'cache'))
    out = fp.prepare('gpu', num_shards=2, base_url=url, eval_tokens=8 * 512)
    import json, numpy as np
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['profile'] == 'gpu' and meta['vocab_size'] == 4096 and meta['eval_tokens'] == 4096
    assert meta['val_tokens'] > 4096 and meta['train_tokens'] > meta['val_tokens']
    assert sorted(p.name for p in (tmp_path / 'cache' / 'gpu-shards').iterdir()) == \
        [fp.shard_name(0), fp.shard_name(1), fp.shard_name(fp.VAL_SHARD)]
    assert len(FlakyHandler.ranges) == 3                                 # each shard was cut once and resumed
    train = np.load(out / 'train.npy')
    assert train.max() < 4096 and train[0] == 4095                       # BOS is the last id
    # a second call finds everything in place and downloads nothing
    n = len(FlakyHandler.ranges)
    assert fp.prepare('gpu', num_shards=2, base_url=url, eval_tokens=8 * 512) == out and len(FlakyHandler.ranges) == n

def test_prepare_gpu_profile_from_local_folder(tmp_path, monkeypatch):
    src = tmp_path / 'shards'
    src.mkdir()
    for i in range(3): write_shard(src / fp.shard_name(i), 1200, seed=10 + i)
    monkeypatch.setenv('AUTORESEARCH_CACHE', str(tmp_path / 'cache'))
    with pytest.raises(FrozenError, match='fewer than the 5,242,880 evaluation tokens'):
        fp.prepare('gpu', source=src)
    assert not (tmp_path / 'cache' / 'gpu').exists()
    out = fp.prepare('gpu', source=src, eval_tokens=4 * 512)
    assert (out / 'val.npy').exists()

def test_shard_without_text_column(tmp_path, monkeypatch):
    src = tmp_path / 'shards'
    src.mkdir()
    for i in range(2): pq.write_table(pa.table({'content': ['a b c'] * 10}), src / fp.shard_name(i))
    monkeypatch.setenv('AUTORESEARCH_CACHE', str(tmp_path / 'cache'))
    with pytest.raises(FrozenError, match="no 'text' column"): fp.prepare('gpu', source=src)
