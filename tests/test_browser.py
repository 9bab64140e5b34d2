"""The dashboard in a real browser (bench/dashboard_browser.py): Voila serves it, Chromium renders it, the checks read
the page. Skipped, saying what is missing, where Chromium or the browser extra is not installed (CI has neither)."""
import importlib.util, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location('dashboard_browser', ROOT / 'bench' / 'dashboard_browser.py')
db = importlib.util.module_from_spec(spec); spec.loader.exec_module(db)

@pytest.mark.skipif(bool(db.missing()), reason=f'needs {db.missing()}')
def test_dashboard_in_chromium(tmp_path):
    assert db.main(['--out', str(tmp_path)]) == 0, (tmp_path / 'dashboard_browser.jsonl').read_text()
    assert (tmp_path / 'dashboard_browser.png').stat().st_size > 10_000
