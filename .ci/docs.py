"""The documentation site, built from the notebooks: one HTML page per notebook in nbs/ (its prose, its code, the
outputs it stores), a navigation bar, links between notebooks turned into links between pages. `_docs/index.html`
is nbs/index.ipynb.

    .venv/bin/python .ci/docs.py [--out _docs] [--check]

nbdev's own `nbdev_docs` needs Quarto, whose only registry package downloads the binary from GitHub when it is
built; where Quarto is installed, `nbdev_docs` works as usual. This builder needs only nbconvert. As nbdev does for
its site, cells marked `#| hide` are left out and the `#| export` markers are dropped; exported cells are shown.
`--check` (CI) fails when a page does not build, when a notebook is missing from the site, or when a page links to a
local page or figure that does not exist."""
import argparse, html, json, re, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAV_CSS = ('<style>.ar-nav{font:13px sans-serif;padding:8px 12px;border-bottom:1px solid #ddd;background:#fafafa;'
           'display:flex;flex-wrap:wrap;gap:2px 12px}.ar-nav a{white-space:nowrap}</style>')

def pages(nbs_dir):
    "(notebook path, page name, title) for every notebook, index first."
    out = []
    for p in sorted(nbs_dir.glob('*.ipynb')):
        nb = json.loads(p.read_text())
        title = next((l.lstrip('# ').strip() for c in nb['cells'] if c['cell_type'] == 'markdown'
                      for l in ''.join(c['source']).splitlines() if l.startswith('# ')), p.stem)
        out.append((p, 'index' if p.stem == 'index' else p.stem, title))
    return sorted(out, key=lambda x: x[1] != 'index')

def prepare(nb):
    "The notebook as the site shows it: no hidden cells, no directive lines, no `default_exp` cell."
    import nbformat
    keep = []
    for c in nb.cells:
        src = c.source
        if c.cell_type == 'code':
            lines = src.splitlines()
            if any(re.match(r'#\|\s*hide\b', l) for l in lines) or any(re.match(r'#\|\s*default_exp\b', l) for l in lines): continue
            src = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
            if not src and not c.get('outputs'): continue
        c.source = src
        keep.append(c)
    nb.cells = keep
    return nb

def _repo_link(href, nbs_dir):
    "A link to a file of the repository (written relative to its root, as in README.md) points to it on the forge."
    if href.endswith('.html') or (nbs_dir / href).exists() or not (ROOT / href).exists(): return f'href="{href}"'
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    return f'href="{cfg["DEFAULT"]["git_url"]}/blob/{cfg["DEFAULT"]["branch"]}/{href}"'

def build(out, nbs_dir=ROOT / 'nbs'):
    import nbformat
    from nbconvert import HTMLExporter
    out.mkdir(parents=True, exist_ok=True)
    ps = pages(nbs_dir)
    nav = ('<div class="ar-nav"><b>autoresearch_rl</b>' +
           ''.join(f'<a href="{name}.html">{html.escape(title)}</a>' for _, name, title in ps) + '</div>')
    ex = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
    built = []
    for path, name, title in ps:
        nb = prepare(nbformat.read(path, as_version=4))
        body, _ = ex.from_notebook_node(nb, resources=dict(metadata=dict(name=title)))
        # links between notebooks become links between pages; links above nbs/ point into the repository
        body = re.sub(r'href="(?:\./)?([\w.-]+)\.ipynb(#[^"]*)?"', lambda m: f'href="{m[1]}.html{m[2] or ""}"', body)
        body = re.sub(r'href="([\w./-]+)"', lambda m: _repo_link(m[1], nbs_dir), body)
        for src in re.findall(r'<img[^>]* src="([\w./-]+)"', body):                  # figures the pages show: copied
            f = nbs_dir / src if (nbs_dir / src).exists() else ROOT / src
            if f.is_file(): (out / src).parent.mkdir(parents=True, exist_ok=True); shutil.copy(f, out / src)
        body = body.replace('<body', NAV_CSS + '<body', 1)
        body = re.sub(r'(<body[^>]*>)', lambda m: m[1] + nav, body, count=1)
        (out / f'{name}.html').write_text(body)
        built.append(name)
    return built

def check(out, built, nbs_dir=ROOT / 'nbs'):
    "Problems: a notebook with no page, a local link to nothing."
    problems = [f'no page for {p.name}' for p, name, _ in pages(nbs_dir) if not (out / f'{name}.html').exists()]
    for name in built:
        text = (out / f'{name}.html').read_text()
        for src in re.findall(r'<img[^>]* src="([^"]+)"', text):
            if not re.match(r'^[a-z]+:', src) and not (out / src).exists(): problems.append(f'{name}.html shows {src}, which does not exist')
        for href in re.findall(r'href="([^"#]+)(?:#[^"]*)?"', text):
            if re.match(r'^[a-z]+:', href) or href.startswith('//'): continue          # http:, mailto:, data:
            target = (out / href) if href.endswith('.html') else (nbs_dir / href)
            if not target.exists(): problems.append(f'{name}.html links to {href}, which does not exist')
    return problems

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT / '_docs'))
    ap.add_argument('--check', action='store_true', help='fail on a missing page or a broken local link')
    a = ap.parse_args(argv)
    out = Path(a.out)
    built = build(out)
    print(f'{len(built)} pages in {out}')
    if a.check:
        problems = check(out, built)
        for p in problems: print(f'docs: {p}', file=sys.stderr)
        if problems: return 1
    return 0

if __name__ == '__main__': sys.exit(main())
