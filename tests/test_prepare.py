"The cpu profile's prepared data: split, tokenizer, hashes, idempotence, and the train loader."
import json, os
import numpy as np
import pytest
from conftest import run, ROOT

@pytest.fixture
def use_cache(cpu_cache, monkeypatch):
    monkeypatch.setenv('AUTORESEARCH_CACHE', str(cpu_cache))
    from frozen import _store
    for f in (_store.load_meta, _store.load_tokenizer, _store._check_hash): f.cache_clear()
    yield cpu_cache
    for f in (_store.load_meta, _store.load_tokenizer, _store._check_hash): f.cache_clear()

def test_split_and_counts(use_cache):
    from frozen._store import load_meta, load_array
    meta = load_meta('cpu')
    tb = np.asarray(load_array('token_bytes.npy', 'cpu'))
    train_bytes = int(tb[np.asarray(load_array('train.npy', 'cpu')).astype(np.int64)].sum())
    assert 0.05 <= meta['val_bytes'] / (meta['val_bytes'] + train_bytes) <= 0.10
    assert meta['val_tokens'] > meta['eval_tokens'] == 432 * 256
    assert 2.5 < meta['val_bytes'] / meta['val_tokens'] < 3.2  # BPE 2048 on English verse: ~2.8 bytes/token

def test_validation_text_never_in_training_split(use_cache):
    from frozen._store import load_array, load_tokenizer
    enc = load_tokenizer('cpu')
    train = enc.decode(np.asarray(load_array('train.npy', 'cpu')).tolist())
    val = enc.decode(np.asarray(load_array('val.npy', 'cpu')).tolist())
    for line in ('Is this a dagger which I see before me', 'If music be the food of love, play on',
                 'Friends, Romans, countrymen, lend me your ears'):
        assert line in val and line not in train

def test_tokenizer(use_cache):
    from frozen._store import load_tokenizer
    import frozen
    enc = load_tokenizer('cpu')
    assert enc.n_vocab == frozen.VOCAB_SIZE == 2048
    assert enc.encode_single_token(frozen.BOS_TOKEN) == 2047
    text = "To be, or not to be, that is the question: ünïcödé ✓"
    assert enc.decode(enc.encode_ordinary(text)) == text

def test_prepare_is_idempotent(cpu_cache):
    meta = cpu_cache / 'cpu' / 'meta.json'
    before = meta.stat().st_mtime_ns
    r = run(['-m', 'frozen.prepare'], cpu_cache)
    assert r.returncode == 0, r.stderr
    assert meta.stat().st_mtime_ns == before and 'training a BPE' not in r.stderr

def test_cpu1_reads_the_cpu_data(use_cache):
    "The one-thread profile shares the cpu profile's prepared data: nothing prepared twice, the meta names cpu."
    from frozen._store import load_meta
    from frozen.prepare import prepare
    assert load_meta('cpu')['profile'] == 'cpu' and load_meta('cpu1') == load_meta('cpu')
    before = (use_cache / 'cpu' / 'meta.json').stat().st_mtime_ns
    assert prepare('cpu1') == use_cache / 'cpu' and (use_cache / 'cpu' / 'meta.json').stat().st_mtime_ns == before
    assert not (use_cache / 'cpu1').exists()

def test_loader_rows_start_at_documents(use_cache):
    from frozen.data import make_loader
    import frozen
    x, y, epoch = next(make_loader(4, 32, seed=1, profile='cpu'))
    assert x.shape == y.shape == (4, 32) and epoch == 0
    assert (x[:, 0] == 2047).all()              # every row begins with BOS
    assert (x[:, 1:] == y[:, :-1]).all()        # targets are the inputs shifted by one
    a = [next(make_loader(4, 32, seed=s, profile='cpu'))[0] for s in (1, 1, 2)]
    assert (a[0] == a[1]).all() and not (a[0] == a[2]).all()

def test_loader_rejects_bad_sizes(use_cache):
    from frozen.data import make_loader
    from frozen import FrozenError
    with pytest.raises(FrozenError, match='batch_size=0'): next(make_loader(0, 32, profile='cpu'))
