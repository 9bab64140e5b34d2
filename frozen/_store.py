"""Prepared data on disk: one folder per profile, every file listed with its SHA-256 in meta.json.

Layout of `cache_dir(profile)`:
    meta.json          profile, corpus hash, counts, and the SHA-256 of every file below
    tokenizer.json     BPE pattern, merge ranks (base64 bytes in rank order), special tokens
    token_bytes.npy    UTF-8 byte length of every token id (0 for special tokens)
    train.npy          uint16 token stream of the training documents, each starting with BOS
    train_starts.npy   int64 offsets of the documents in train.npy
    val.npy            uint16 token stream of the validation documents (evaluate.py only)
"""
import base64, functools, hashlib, json
from pathlib import Path
import numpy as np
from . import FrozenError, BOS_TOKEN, cache_dir, get_profile, _sha256

FILES = ('tokenizer.json', 'token_bytes.npy', 'train.npy', 'train_starts.npy', 'val.npy')

def _missing(folder, profile):
    return FrozenError(f"no prepared data for profile {profile!r} in {folder}: run `python -m frozen.prepare "
                       f"--profile {profile}` first (or point AUTORESEARCH_CACHE at the folder that has it)")

@functools.lru_cache(maxsize=None)
def load_meta(profile=None):
    "meta.json of the prepared data of `profile`, with a clear error when there is none."
    prof = get_profile(profile)
    profile = prof.data or prof.name               # the profile whose data it reads
    folder = cache_dir(profile)
    path = folder / 'meta.json'
    if not path.exists(): raise _missing(folder, profile)
    try: meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FrozenError(f"{path} is corrupt ({e}): delete {folder} and run `python -m frozen.prepare "
                          f"--profile {profile}` again") from None
    if meta.get('profile') != profile:
        raise FrozenError(f"{folder} holds data of profile {meta.get('profile')!r}, not {profile!r}: "
                          f"delete it and run `python -m frozen.prepare --profile {profile}`")
    return meta

def file_path(name, profile=None, check=True):
    "Path of prepared file `name`, its SHA-256 checked against meta.json (once per process)."
    meta = load_meta(profile)
    path = cache_dir(profile) / name
    if not path.exists(): raise _missing(path.parent, meta['profile'])
    if check: _check_hash(str(path), meta['sha256'][name], meta['profile'])
    return path

@functools.lru_cache(maxsize=None)
def _check_hash(path, expected, profile):
    if _sha256(path) != expected:
        raise FrozenError(f"{path} does not match the hash recorded when it was prepared (corrupt or edited): "
                          f"delete {Path(path).parent} and run `python -m frozen.prepare --profile {profile}`")

def load_array(name, profile=None):
    "A prepared .npy array, memory-mapped read-only after its hash and the tokenizer's are checked."
    file_path('tokenizer.json', profile)  # token ids mean nothing under another tokenizer
    return np.load(file_path(name, profile), mmap_mode='r')

def tokenizer_spec(mergeable_ranks, pattern, vocab_size):
    "The JSON-able description of a BPE tokenizer whose one special token (BOS) takes the last id."
    ranked = sorted(mergeable_ranks.items(), key=lambda kv: kv[1])
    assert [r for _, r in ranked] == list(range(len(ranked))), "merge ranks must be 0..n-1"
    return dict(pattern=pattern, ranks=[base64.b64encode(b).decode() for b, _ in ranked],
                special={BOS_TOKEN: vocab_size - 1})

def encoding_from_spec(spec, name='autoresearch'):
    "A tiktoken Encoding built from `tokenizer_spec` output."
    import tiktoken
    ranks = {base64.b64decode(b): i for i, b in enumerate(spec['ranks'])}
    return tiktoken.Encoding(name=name, pat_str=spec['pattern'], mergeable_ranks=ranks,
                             special_tokens=spec['special'])

@functools.lru_cache(maxsize=None)
def load_tokenizer(profile=None):
    "The tiktoken Encoding of the prepared data of `profile` (hash-checked)."
    path = file_path('tokenizer.json', profile)
    try: spec = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FrozenError(f"{path} is corrupt ({e}): delete {path.parent} and prepare again") from None
    return encoding_from_spec(spec, name=f"autoresearch-{load_meta(profile)['profile']}")
