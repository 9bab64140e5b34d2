"""The docs site builder (.ci/docs.py): pages from notebooks, hidden cells left out, links between notebooks made
links between pages, and a broken local link reported."""
import importlib.util, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location('docs', ROOT / '.ci' / 'docs.py')
docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(docs)

def nb(*cells):
    return json.dumps(dict(nbformat=4, nbformat_minor=5, metadata={}, cells=[
        dict(cell_type=t, id=f'c{i}', metadata={}, source=s, **({} if t == 'markdown' else dict(outputs=[], execution_count=None)))
        for i, (t, s) in enumerate(cells)]))

def test_site(tmp_path):
    src, out = tmp_path / 'nbs', tmp_path / 'site'
    src.mkdir()
    (src / 'index.ipynb').write_text(nb(('markdown', '# Home\n\nSee [a](a.ipynb) and [b](b.ipynb#part).\n\n![a figure](fig.png)')))
    (src / 'fig.png').write_bytes(b'\x89PNG')
    (src / 'a.ipynb').write_text(nb(('markdown', '# Page A'), ('code', '#| hide\nSECRET_SETUP = 1'),
                                    ('code', '#| export\ndef shown(): return 42')))
    built = docs.build(out, src)
    assert sorted(built) == ['a', 'index']
    a = (out / 'a.html').read_text()
    assert 'shown' in a and 'SECRET_SETUP' not in a and '#| export' not in a
    assert 'href="a.html"' in (out / 'index.html').read_text() and 'Page A' in a     # nav and titles
    assert (out / 'fig.png').exists()                                               # the figure travels with the page
    (out / 'fig.png').unlink()
    assert docs.check(out, built, src) == ['index.html shows fig.png, which does not exist',
                                           'index.html links to b.html, which does not exist']
    (src / 'b.ipynb').write_text(nb(('markdown', '# Page B')))
    assert docs.check(out, docs.build(out, src), src) == []
