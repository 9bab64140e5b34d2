"""The benchmark of record's keys agree with the simulator's lookup: every configuration bench/record.py records is
found again by `BenchRecord.key` in the code it renders, and every proposal edit-ppo can make from the baseline or
from a one-edit configuration is in the record's plan (so on a complete record edit-ppo's first steps are never
predicted). Also: the record's reader survives a torn last line, and compaction keeps every run."""
import json, random, sys
from pathlib import Path
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / 'bench'))
import record                                               # bench/record.py
from autoresearch_rl.sim import BenchRecord, canonical, read_record_rows
from autoresearch_rl.policies import read_constants
from autoresearch_rl.edit_ppo import EditPPO

BASE = (ROOT / 'train.py').read_text()

@pytest.fixture(scope='module')
def plan(): return record.configurations(BASE)

def test_keys_round_trip(plan):
    base = read_constants(BASE)
    keys = [k for _, k, _ in plan]
    assert len(keys) == len(set(keys)) and keys[0] == '{}'
    assert {t for t, _, _ in plan} == {'one', 'core', 'grid', 'two'}
    for tier, key, changes in plan:
        code = record.render(BASE, changes)
        assert canonical(read_constants(code), base) == key, (tier, key)

def test_edit_ppo_neighbourhood_is_planned(plan):
    keys = {k for _, k, _ in plan}
    base = read_constants(BASE)
    pol = EditPPO()
    starts = [BASE] + [record.render(BASE, ch) for t, _, ch in plan if t == 'one'][1:]
    missing = 0
    for code in starts:
        for a, ok in enumerate(pol.mask(code)):
            if not ok: continue
            new, _ = pol.edit(code, a)
            k = canonical(read_constants(new), base)
            if k != '{}' and k not in keys: missing += 1
    assert missing == 0, f'{missing} edit-ppo proposals within two edits are not in the plan'

def test_reader_skips_a_torn_line_and_compaction_keeps_every_run(tmp_path, monkeypatch):
    rows = [dict(key='{}', tier='one', changes={}, seed=s, budget_s=5.0, status='ok', val_bpb=3.0 + s / 100,
                 curve=[[1.0, 7.0], [5.0, 6.0]], profile='cpu', profile_version=2, clock='cpu') for s in range(3)]
    monkeypatch.setattr(record, 'DIR', tmp_path); monkeypatch.setattr(record, 'LOG', tmp_path / 'runs.jsonl')
    (tmp_path / 'runs.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows[:2]) + '{"key": "{}", "se')
    assert [r['seed'] for r in read_record_rows(tmp_path)] == [0, 1]
    record.compact()
    assert not (tmp_path / 'runs.jsonl').exists() and len(list(tmp_path.glob('part-*.parquet'))) == 1
    (tmp_path / 'runs.jsonl').write_text(json.dumps(rows[2]) + '\n')
    got = read_record_rows(tmp_path)
    assert [r['seed'] for r in got] == [0, 1, 2] and got[0]['curve'] == [[1.0, 7.0], [5.0, 6.0]]
    rec = BenchRecord(got, BASE)
    assert rec.runs('{}')[2]['val_bpb'] == 3.02 and rec.key(BASE) == '{}'

def test_simulated_study_is_labelled_and_on_the_simulated_clock(tmp_path):
    """`bench/sim_compare.py --study` keeps one simulated campaign per policy and a compare study: the report labels
    it SIMULATED and its hours are the simulated ones (the runs' recorded times), not the seconds the simulation took."""
    import subprocess
    from autoresearch_rl.report import Study, write_report, table1
    led = tmp_path / 'ledgers'
    subprocess.run([sys.executable, str(ROOT / 'bench' / 'sim_compare.py'), '--study', str(led), '--experiments', '12',
                    '--policies', 'random', 'edit-ppo'], check=True, cwd=ROOT, capture_output=True)
    st = Study.load(led / 'sim-compare.study.json')
    assert st.protocol['simulated'].startswith('SIMULATED on the benchmark of record')
    recs = st.records()
    assert set(recs) == {'random', 'edit-ppo'} and all(len(r.rows) == 12 for r in recs.values())
    for rec in recs.values():
        simulated = sum((r['timings'] or {}).get('total_s', 0) for r in rec.rows)
        assert simulated > 12 * 5 * 0.5                      # 12 experiments of 5 training seconds, some aborted
        assert abs(rec.hours()[-1] * 3600 - simulated) < 1e-3 * simulated
        assert not list((led / rec.tag).glob('repo'))       # the ledger is kept, the campaign's repository is not
    assert table1(recs)['wall h'].iloc[-1] > 12 * 5 * 0.5 / 3600
    write_report(st, tmp_path / 'figs' / st.name)
    readme = (tmp_path / 'figs' / st.name / 'README.md').read_text()
    assert readme.startswith('# Study `sim-compare` (compare) (SIMULATED)')
    assert '(SIMULATED)' in (tmp_path / 'figs' / st.name / 'table1.tex').read_text()
