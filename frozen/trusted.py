"""The trusted path from a trained model to its val_bpb, for runs under the harness.

# ===================================================================================================
# DO NOT CHANGE. The harness believes only the numbers this file produces.
# ===================================================================================================

When the harness sets AUTORESEARCH_HANDOVER=PATH, `frozen.finish(model)` does not evaluate in the training
process: it exports the model to PATH (`torch.export` for a .pt2 path, else a traced TorchScript module: a
graph of tensor operations either way, no Python from train.py) and exits.

The handed-over file is treated as hostile. The harness evaluates it with two processes of this file, each in
its own sandbox, connected by two pipes:

    python -m frozen.trusted --host MODEL --fds IN OUT SHM                sees the model, never the validation split
    python -m frozen.trusted --score MODEL --fds REQ RESP SHM RESULT --nonce N   sees the split, never runs the model

The scorer first checks the archive without deserialising anything (`check_archive`: only tensors and a graph
of allowed, stateless, side-effect-free operations), then sends the host one validation row per request (a
per-request nonce; batch 1; rows in a random order), reads back logits, and computes eq. (1) itself. Mixed into
the scored rows, in the same order, shapes and precision, are causality twins: a scored row whose tokens from a
random position k on are replaced by another validation row's tokens. A causal model gives the same logits
before k for both; a model that peeks at later tokens (in its row or, through the batch, in another) does not,
and its val_bpb is not trusted. The result goes to a pipe only the scorer holds, with the harness's nonce.
"""
import argparse, ast, json, math, os, pickletools, re, select, sys, time, zipfile
import numpy as np
import torch
from . import MAX_SEQ_LEN, VOCAB_SIZE, FrozenError, verify

HANDOVER_ENV = 'AUTORESEARCH_HANDOVER'
EXPORT_BATCH = 4  # example batch of the export; the batch dimension is dynamic

def export_model(model, path, **stats):
    """Export `model` (ids (B, T) -> logits (B, T, V)) to `path` with its stats beside it; print the hand-over.
    A `.pt2` path gets `torch.export` (an ExportedProgram); any other a traced TorchScript module, which is 5x
    faster to write and 25x faster to load here. Both hold tensor operations only, no Python of train.py."""
    t0 = time.time()
    model.eval()
    device = next(model.parameters()).device
    example = torch.zeros(EXPORT_BATCH, MAX_SEQ_LEN, dtype=torch.long, device=device)
    with torch.no_grad():
        if str(path).endswith('.pt2'):
            batch = torch.export.Dim('batch', min=1, max=4096)
            torch.export.save(torch.export.export(model, (example,), dynamic_shapes=({0: batch},)), path)
        else:
            torch.jit.save(torch.jit.trace(model, (example,), check_trace=False), path)
    stats = dict(stats, export_seconds=time.time() - t0)
    with open(f'{path}.json', 'w') as f: json.dump(stats, f)
    print('---')
    for k, v in stats.items(): print(f'{k}: {v:.6f}' if isinstance(v, float) else f'{k}: {v}')
    print(f'handover: {path}', flush=True)
    return stats

# ---------------------------------------------------------------------------------------------------
# Static check of the hand-over: nothing is deserialised, nothing runs

MAX_MODEL_BYTES = 4 << 30
_SEEDED_OK = {'dropout': (2, 'train', False), 'feature_dropout': (2, 'train', False), 'alpha_dropout': (2, 'train', False),
              'scaled_dot_product_attention': (4, 'dropout_p', 0.0)}   # random only when this argument says so
_IO_OPS = {'from_file'}
_PRIM_OK = {'NumToTensor', 'device', 'dtype', 'layout', 'min', 'max', 'shape'}
_BUILTINS_OK = {'int', 'float', 'bool', 'len', 'getattr', 'annotate', 'unchecked_cast', 'isinstance'}
_PICKLE_GLOBALS = {('collections', 'OrderedDict'), ('torch._utils', '_rebuild_tensor_v2'), ('torch._utils', '_rebuild_parameter'),
                   ('torch.jit._pickle', 'restore_type_tag'), ('torch.jit._pickle', 'build_intlist'),
                   ('torch.jit._pickle', 'build_tensorlist'), ('torch.jit._pickle', 'build_doublelist'),
                   ('torch.jit._pickle', 'build_boollist'), ('torch', 'Size'), ('torch', 'device'), ('builtins', 'set')}

def _aten_problem(name, overload=None):
    "Why aten op `name` (one `overload`, or any) is not allowed in a hand-over, or None."
    if name in _IO_OPS: return f'aten::{name} reads or writes files'
    packet = getattr(torch.ops.aten, name, None)
    if packet is None or not hasattr(packet, 'overloads'): return f'aten::{name} is not an operator of this torch'
    ovs = [overload] if overload else packet.overloads()
    try: ops = [getattr(packet, o) for o in ovs]
    except AttributeError: return f'aten::{name}.{overload} is not an operator of this torch'
    pure = [o for o in ops if not o._schema.is_mutable]
    if not pure: return f'aten::{name} changes its inputs in place (state that could outlive a call)'
    if any(torch.Tag.nondeterministic_seeded in o.tags for o in pure) and name not in _SEEDED_OK:
        return f'aten::{name} draws random numbers'
    return None

def _schema_default(name, kw):
    "The default of argument `kw` of aten op `name` when every overload that has it agrees, else a sentinel."
    defaults = {a.default_value for o in getattr(torch.ops.aten, name).overloads()
                for a in getattr(torch.ops.aten, name).__getattr__(o)._schema.arguments if a.name == kw and a.has_default_value()}
    return defaults.pop() if len(defaults) == 1 else object()

def _scan_pickle(data, where):
    "Problems of a pickle, read opcode by opcode (never loaded): only allowlisted globals, no code."
    problems, strings = [], []
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ('SHORT_BINUNICODE', 'BINUNICODE', 'UNICODE', 'BINUNICODE8'): strings.append(arg)
            if op.name in ('GLOBAL', 'STACK_GLOBAL', 'INST'):
                mod, name = (arg.split(' ', 1) if op.name != 'STACK_GLOBAL' else (strings[-2:] + ['', ''])[:2])
                if not ((mod, name) in _PICKLE_GLOBALS or mod == '__torch__' or mod.startswith('__torch__.')
                        or (mod == 'torch' and name.endswith('Storage'))):
                    problems.append(f'{where}: pickle refers to {mod}.{name}')
            if op.name in ('OBJ', 'INST', 'EXT1', 'EXT2', 'EXT4'): problems.append(f'{where}: pickle opcode {op.name}')
    except Exception as e: problems.append(f'{where}: not a readable pickle ({type(e).__name__})')
    return problems

class _TSCode(ast.NodeVisitor):
    "Walks TorchScript's serialized code (parsed, never run): a traced graph of allowed calls, no state changes."
    def __init__(self, where): self.where, self.problems = where, []
    def bad(self, node, why): self.problems.append(f'{self.where}:{getattr(node, "lineno", "?")}: {why}')
    def generic_visit(self, node):
        ok = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AnnAssign, ast.Assign, ast.Return, ast.Expr, ast.Pass,
              ast.Name, ast.Attribute, ast.Call, ast.Constant, ast.Tuple, ast.List, ast.Subscript, ast.UnaryOp,
              ast.USub, ast.Load, ast.Store, ast.keyword, ast.arguments, ast.arg, ast.Slice, ast.Starred)
        if not isinstance(node, ok): return self.bad(node, f'{type(node).__name__} is not allowed (a traced graph has none)')
        super().generic_visit(node)
    def visit_ClassDef(self, node):
        for st in node.body:
            if isinstance(st, ast.FunctionDef) and st.name != 'forward': self.bad(st, f'method {st.name} (only forward runs)')
            elif isinstance(st, ast.AnnAssign): continue                     # attribute declarations: types only
            elif isinstance(st, ast.Assign) and all(isinstance(t, ast.Name) and t.id in ('__parameters__', '__buffers__')
                                                    for t in st.targets): continue
            elif isinstance(st, ast.Assign) and all(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
                                                    and t.value.id == '__annotations__' for t in st.targets): continue
            else: self.visit(st)
    def visit_FunctionDef(self, node):
        for st in node.body: self.visit(st)                                  # annotations are types, not code
    def visit_Assign(self, node):
        for t in node.targets:
            if not all(isinstance(n, (ast.Name, ast.Tuple, ast.Store, ast.Starred)) for n in ast.walk(t)):
                self.bad(node, 'assignment to an attribute or item (state that outlives the call)')
        self.visit(node.value)
    def visit_Call(self, node):
        f = node.func
        dotted = []
        while isinstance(f, ast.Attribute): dotted.insert(0, f.attr); f = f.value
        if isinstance(f, ast.Name): dotted.insert(0, f.id)
        else: dotted = None
        if any(k.arg == 'out' for k in node.keywords): self.bad(node, 'an out= argument writes into a tensor')
        if dotted and len(dotted) == 2 and dotted[0] == 'torch' or dotted and dotted[:2] == ['ops', 'aten'] and len(dotted) == 3:
            name = dotted[-1]
            why = _aten_problem(name)
            if why: self.bad(node, why)
            elif name in _SEEDED_OK:
                pos, kw, want = _SEEDED_OK[name]
                arg = next((k.value for k in node.keywords if k.arg == kw), node.args[pos] if len(node.args) > pos else None)
                if arg is None: ok = _schema_default(name, kw) == want     # left out: the operator's own default
                else: ok = isinstance(arg, ast.Constant) and type(arg.value) is type(want) and arg.value == want
                if not ok: self.bad(node, f'aten::{name} with {kw} other than {want!r}')
        elif dotted and dotted[:2] == ['ops', 'prim'] and len(dotted) == 3:
            if dotted[2] not in _PRIM_OK: self.bad(node, f'prim::{dotted[2]} is not allowed')
        elif dotted and len(dotted) == 1 and dotted[0] in _BUILTINS_OK: pass
        elif isinstance(node.func, ast.Attribute) and node.func.attr == 'forward': pass   # a submodule's forward
        else: self.bad(node, f'call of {".".join(dotted) if dotted else ast.dump(node.func)[:60]} is not allowed')
        for a in node.args + [k.value for k in node.keywords]: self.visit(a)
        if isinstance(node.func, ast.Attribute): self.visit(node.func.value)
    def visit_Attribute(self, node): self.visit(node.value)

def _walk_targets(obj):
    if isinstance(obj, dict):
        if isinstance(obj.get('target'), str) and 'inputs' in obj: yield obj
        for v in obj.values(): yield from _walk_targets(v)
    elif isinstance(obj, list):
        for v in obj: yield from _walk_targets(v)

def check_archive(path, max_bytes=MAX_MODEL_BYTES):
    """Problems of a hand-over (an empty list when it holds only tensors and a graph of allowed operations). Reads
    the zip's entries as data: pickles opcode by opcode, TorchScript code as a syntax tree, torch.export's graph as
    JSON. Nothing in it is deserialised or run here."""
    try: size = os.stat(path).st_size
    except OSError as e: return [f'the hand-over cannot be read: {e}']
    if size > max_bytes: return [f'the hand-over is {size / 2**20:.0f} MB, more than {max_bytes / 2**20:.0f} MB']
    try: z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e: return [f'the hand-over is not a model archive: {e}']
    problems, infos = [], z.infolist()
    if sum(i.file_size for i in infos) > 2 * max_bytes: return ['the hand-over unpacks to more than twice its cap']
    names = [i.filename for i in infos]
    prefix = names[0].split('/')[0] + '/' if names else ''
    pt2 = any(n == prefix + 'models/model.json' for n in names)
    ok = (r'(data/weights/[^/]+|data/constants/[^/]+|models/model\.json|data/sample_inputs/model\.pt|archive_format|'
          r'archive_version|\.data/[^/]+|byteorder|version)' if pt2 else
          r'(data\.pkl|constants\.pkl|traced_inputs\.pkl|code/.+\.py|code/.+\.py\.debug_pkl|data/\d+|constants/\d+|'
          r'traced_inputs/\d+|version|byteorder|\.data/[^/]+)')
    for i in infos:
        rel = i.filename[len(prefix):] if i.filename.startswith(prefix) else i.filename
        if not re.fullmatch(ok, rel): problems.append(f'unexpected entry {i.filename!r} in the hand-over'); continue
        if rel.endswith('.pkl'): problems += _scan_pickle(z.read(i), rel)
        elif rel.endswith('.py'):
            try: tree = ast.parse(z.read(i).decode('utf-8'))
            except (SyntaxError, UnicodeDecodeError, ValueError) as e: problems.append(f'{rel}: unreadable code ({e})'); continue
            v = _TSCode(rel); v.visit(tree); problems += v.problems
        elif rel == 'data/sample_inputs/model.pt':
            try:
                import io
                inner = zipfile.ZipFile(io.BytesIO(z.read(i)))
                for n in inner.namelist():
                    if n.endswith('.pkl'): problems += _scan_pickle(inner.read(n), f'sample_inputs/{n}')
            except zipfile.BadZipFile: problems += _scan_pickle(z.read(i), rel)
        elif rel == 'models/model.json':
            try: prog = json.loads(z.read(i))
            except ValueError: problems.append('models/model.json is not JSON'); continue
            sig = prog.get('graph_module', {}).get('signature', {})
            for spec in sig.get('output_specs', []):
                if set(spec) != {'user_output'}: problems.append(f'the program writes state: {sorted(spec)[0]}')
            for node in _walk_targets(prog):
                t = node['target']
                m = re.fullmatch(r'torch\.ops\.aten\.(\w+)\.(\w+)', t)
                if not m: problems.append(f'graph op {t} is not allowed'); continue
                why = _aten_problem(m[1], m[2])
                if why: problems.append(why); continue
                if m[1] in _SEEDED_OK:
                    pos, kw, want = _SEEDED_OK[m[1]]
                    arg = next((a.get('arg', {}) for a in node['inputs'] if a.get('name') == kw), None)
                    val = None if arg is None else next(iter(arg.values()), None)
                    if arg is not None and val != want and not (arg.get('as_none') is not None and want == 0.0):
                        problems.append(f'aten::{m[1]} with {kw} other than {want!r}')
    if not pt2 and not any(n.endswith('data.pkl') for n in names): problems.append('no data.pkl: not a TorchScript archive')
    return sorted(set(problems))[:20]

# ---------------------------------------------------------------------------------------------------
# The two processes of an evaluation

NONCE_BYTES = 16

def _read_exact(fd, n, deadline=None):
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.time()
            if left <= 0 or not select.select([fd], [], [], left)[0]: raise TimeoutError('no answer in time')
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk: raise EOFError('the other side closed the pipe')
        buf += chunk
    return bytes(buf)

def _write_all(fd, data):
    view = memoryview(data)
    while view: view = view[os.write(fd, view):]

def _load(path, device):
    if str(path).endswith('.pt2'):
        module = torch.export.load(path).module()
        for node in list(module.graph.nodes):       # dtype assertions of the export: the evaluation's precision rules
            if node.target is torch.ops.aten._assert_tensor_metadata.default: module.graph.erase_node(node)
        module.recompile()
        return module.to(device)
    return torch.jit.load(path, map_location=device)

def _shared(fd, T, V):
    "The float32 (T, V) logits buffer both processes map (a memfd the harness made)."
    import mmap
    return np.frombuffer(mmap.mmap(fd, 4 * T * V), dtype=np.float32).reshape(T, V)

def host(path, fd_in, fd_out, fd_shm, device=None):
    """Serve the scorer: each request (nonce, one row of int64 ids) gets its float32 logits in the shared buffer,
    then (nonce, status) on the pipe. Runs the handed-over model under the evaluation's precision; sees no
    validation data but what it is sent."""
    from .evaluate import _autocast
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    T, V = MAX_SEQ_LEN, VOCAB_SIZE
    buf = torch.from_numpy(_shared(fd_shm, T, V))
    try: module, error = _load(path, device), b''
    except Exception as e: module, error = None, f'the handed-over model could not be loaded: {e!r}'[:400].encode()
    while True:
        try: req = _read_exact(fd_in, NONCE_BYTES + 8 * T)
        except EOFError: return 0
        nonce = req[:NONCE_BYTES]
        if module is not None:
            try:
                x = torch.from_numpy(np.frombuffer(req[NONCE_BYTES:], dtype=np.int64).copy()).view(1, T).to(device)
                with torch.no_grad(), _autocast(device): logits = module(x)
                if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (1, T, V):
                    raise ValueError(f'logits of shape {tuple(getattr(logits, "shape", ()))}, expected (1, {T}, {V})')
                buf.copy_(logits.detach()[0].float())
                _write_all(fd_out, nonce + b'\0'); continue
            except Exception as e: error = f'the handed-over model failed on validation input: {e!r}'[:400].encode()
        _write_all(fd_out, nonce + b'\1' + len(error).to_bytes(4, 'little') + error)
        return 1

def _twins(rng, n_rows, n_twins, T):
    "Causality twins: (scored row, position k, donor row) with k uniform over 1..T-1 and a different donor."
    out = []
    for _ in range(n_twins):
        r = int(rng.integers(n_rows)); d = int(rng.integers(n_rows - 1)); d += d >= r
        out.append((r, int(rng.integers(1, T)), d))
    return out

def score(path, fd_req, fd_resp, fd_shm, fd_result, nonce, device=None, timeout_s=600.0, tol=1e-3, n_twins=None):
    """The measurement: check the archive, score every pinned validation row through the host, check the twins,
    write the result (JSON, with `nonce`) to `fd_result`. Runs no code of the experiment."""
    import torch.nn.functional as F
    from ._store import load_array, load_meta
    deadline, t0 = time.time() + timeout_s, time.time()
    def answer(**res):
        _write_all(fd_result, json.dumps(dict(res, nonce=nonce)).encode()); os.close(fd_result); return 0
    try: verify()
    except FrozenError as e: return answer(valid=False, error=str(e), tampered=True)
    problems = check_archive(path)
    if problems: return answer(valid=False, error='the hand-over is refused: ' + '; '.join(problems)[:450], refused=problems)
    T, V = MAX_SEQ_LEN, VOCAB_SIZE
    shared = _shared(fd_shm, T, V)
    tokens, token_bytes = np.asarray(load_array('val.npy')), load_array('token_bytes.npy')
    token_bytes = torch.tensor(np.asarray(token_bytes), dtype=torch.int64)
    n_rows = load_meta()['eval_tokens'] // T
    rng = np.random.default_rng(int.from_bytes(os.urandom(8), 'little'))
    twins = _twins(rng, n_rows, n_twins if n_twins is not None else max(12, n_rows // 4), T)
    row = lambda i: tokens[i * T: i * T + T + 1].astype(np.int64)
    jobs = [('row', i) for i in range(n_rows)] + [('twin', j) for j in range(len(twins))]
    jobs = [jobs[i] for i in rng.permutation(len(jobs))]
    want_prefix = {}                                    # scored row -> [(twin, k)]
    for j, (r, k, d) in enumerate(twins): want_prefix.setdefault(r, []).append((j, k))
    prefixes, twin_logits, worst = {}, {}, 0.0
    total_nats, total_bytes = 0.0, 0
    def ids_of(job):
        kind, i = job
        if kind == 'row': return row(i)[:T]
        r, k, d = twins[i]
        return np.concatenate([row(r)[:k], row(d)[k:T]])
    def send(job):
        nonce_b = os.urandom(NONCE_BYTES)
        _write_all(fd_req, nonce_b + ids_of(job).tobytes())
        return nonce_b
    # Pipelined: the next request goes out as soon as this answer's logits are copied, so the host computes while
    # the scorer scores. The host writes the shared buffer only after it reads a request: the copy is never raced.
    try: pending = send(jobs[0])
    except OSError as e: return answer(valid=False, error=f'the model host ended early ({e})')
    for n_job, (kind, i) in enumerate(jobs):
        try:
            head = _read_exact(fd_resp, NONCE_BYTES + 1, deadline)
            if head[:NONCE_BYTES] != pending: return answer(valid=False, error='the model host answered out of turn (nonce mismatch)')
            if head[NONCE_BYTES] != 0:
                n = int.from_bytes(_read_exact(fd_resp, 4, deadline), 'little')
                msg = _read_exact(fd_resp, min(n, 400), deadline).decode('utf-8', 'replace')
                return answer(valid=False, error=msg)
            logits = torch.from_numpy(shared.copy())
            if n_job + 1 < len(jobs): pending = send(jobs[n_job + 1])
        except TimeoutError: return answer(valid=False, error=f'the evaluation took longer than {timeout_s:g} s')
        except (EOFError, OSError) as e: return answer(valid=False, error=f'the model host ended early ({e})')
        if kind == 'row':
            y = torch.from_numpy(row(i)[1:])
            nats = F.cross_entropy(logits, y, reduction='none')
            nbytes = token_bytes[y]
            total_nats += nats[nbytes > 0].double().sum().item()
            total_bytes += nbytes.sum().item()
            for j, k in want_prefix.get(i, ()):
                if j in twin_logits: worst = max(worst, _prefix_diff(twin_logits.pop(j), logits[:k]))
                else: prefixes[j] = logits[:k].clone()
        else:
            k = twins[i][1]
            if i in prefixes: worst = max(worst, _prefix_diff(logits[:k], prefixes.pop(i)))
            else: twin_logits[i] = logits[:k].clone()
    val_bpb = total_nats / (math.log(2) * total_bytes)
    causal = worst <= tol
    return answer(valid=causal and math.isfinite(val_bpb), val_bpb=val_bpb, causal=causal, probe_max_diff=worst,
                  twins=len(twins), rows=n_rows, eval_seconds=time.time() - t0, error='' if causal else
                  f'not causal: logits before position k changed by {worst:.3g} when later tokens changed')

def _prefix_diff(a, b):
    "Largest difference of two logit prefixes, relative to their scale (inf where either is not finite)."
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()): return math.inf
    return ((a - b).abs() / (1.0 + b.abs())).max().item() if a.numel() else 0.0

def main(argv=None):
    ap = argparse.ArgumentParser(prog='python -m frozen.trusted')
    ap.add_argument('model')
    ap.add_argument('--host', action='store_true', help='serve logits of MODEL (fds: IN OUT SHM)')
    ap.add_argument('--score', action='store_true', help='measure MODEL through a host (fds: REQ RESP SHM RESULT)')
    ap.add_argument('--fds', type=int, nargs='+', default=())
    ap.add_argument('--nonce', default='')
    ap.add_argument('--timeout', type=float, default=600.0)
    ap.add_argument('--device', default=None)
    args = ap.parse_args(argv)
    if args.host: return host(args.model, *args.fds[:3], device=args.device)
    if args.score: return score(args.model, *args.fds[:4], nonce=args.nonce, device=args.device, timeout_s=args.timeout)
    ap.error('give --host or --score (the harness starts both, each in its own sandbox)')

if __name__ == '__main__': sys.exit(main())
