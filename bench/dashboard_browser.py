"""The dashboard as a user sees it: served by Voila, rendered by a real Chromium, checked through the page's DOM.

    python bench/dashboard_browser.py [--ledger figures/compare/ledgers/compare-edit-ppo/ledger.db] [--out bench/data]

Needs Chromium (Debian: `apt-get install chromium`) and the browser extra (`pip install -e .[browser]`: Voila and
Playwright; Playwright drives the system Chromium, it downloads no browser). The campaign shown is a copy of a
committed ledger with a live file saying that three experiments are in flight, written by this process, so the
dashboard takes the campaign for running. What is checked, in the rendered page:
- the stop button's whole label is visible (not cut), and clicking it in the browser writes the campaign's STOP file;
- the ledger table has one header row (no empty index-name row) and the newest experiment first;
- the header gives experiments, aborted, elapsed time, experiments per hour, and names the three in flight;
- both plots are images that decoded (non-zero natural size).
Writes a full-page screenshot (`dashboard_browser.png`) and appends the checks to `dashboard_browser.jsonl`.
Exit status 1 when a check fails, 2 when Chromium, Voila or Playwright is missing."""
import argparse, json, os, shutil, socket, sqlite3, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']

def missing():
    "What this check needs and does not find, as text ('' when everything is there)."
    why = []
    if not shutil.which(os.environ.get('CHROMIUM', 'chromium')): why.append('Chromium (apt-get install chromium; or set CHROMIUM=path)')
    for mod in ('voila', 'playwright'):
        try: __import__(mod)
        except ImportError: why.append(f'{mod} (pip install -e .[browser])')
    return ', '.join(why)

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def in_flight(ledger_db, budget_s):
    "Three experiments in flight after the last one recorded, each with a curve and a self-evaluator decision."
    last = sqlite3.connect(ledger_db).execute('SELECT max(id) FROM experiments').fetchone()[0] or 0
    running = []
    for i in range(3):
        curve = [[t, 4.0 - 0.1 * i - 0.5 * (t / budget_s) ** 0.5] for t in (budget_s * k / 20 for k in range(1, 9))]
        running.append(dict(id=last + 1 + i, description=f'a running edit number {i + 1}', seed=0, confirmation=0,
                            started=time.time(), curve=curve,
                            decisions=[dict(progress=0.4, forecast_bpb=2.45 + 0.02 * i, sd_bpb=0.02, tau=2.47, abort=False,
                                            llr=0.0, reason='')]))
    return running

def serve(folder, port):
    "Voila serving folder/dash.ipynb on localhost; returns the process once it answers."
    log = open(folder / 'voila.log', 'w')
    p = subprocess.Popen([sys.executable, '-m', 'voila', 'dash.ipynb', '--no-browser', f'--port={port}', '--Voila.ip=127.0.0.1',
                          '--ServerApp.ip=127.0.0.1'], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        time.sleep(0.5)
        if p.poll() is not None: raise RuntimeError(f'voila ended with {p.returncode}: {(folder / "voila.log").read_text()[-2000:]}')
        try: socket.create_connection(('127.0.0.1', port), timeout=1).close(); return p
        except OSError: pass
    p.kill(); raise RuntimeError('voila did not answer within 60 s')

CHECKS_JS = """() => {
  const q = s => Array.from(document.querySelectorAll(s));
  const stop = q('button').find(b => b.innerText.includes('Stop'));
  const table = q('table').find(t => t.innerText.includes('description'));
  const html = q('.widget-html-content').map(e => e.innerText).join('\\n');
  const imgs = q('img').filter(i => i.src.startsWith('data:image/png') || i.src.startsWith('blob:'));
  return {
    stop_label: stop ? stop.innerText.trim() : null,
    stop_cut: stop ? stop.scrollWidth > stop.clientWidth + 1 : null,
    header_rows: table ? table.querySelectorAll('thead tr').length : null,
    first_id: table ? table.querySelector('tbody tr td').innerText.trim() : null,
    header: html.split('\\n').slice(0, 6).join(' | '),
    images: imgs.map(i => [i.naturalWidth, i.naturalHeight]),
  };
}"""

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ledger', default=str(ROOT / 'figures/compare/ledgers/compare-edit-ppo/ledger.db'))
    ap.add_argument('--out', default=str(ROOT / 'bench/data'))
    ap.add_argument('--timeout-s', type=float, default=180.0, help='for the kernel to run and the widgets to render')
    a = ap.parse_args(argv)
    if missing(): print(f'dashboard_browser: missing {missing()}', file=sys.stderr); return 2
    from playwright.sync_api import sync_playwright
    src = Path(a.ledger)
    if not src.exists(): print(f'dashboard_browser: no ledger at {src}: pass --ledger PATH', file=sys.stderr); return 2
    tmp = Path(tempfile.mkdtemp(prefix='dash-browser-'))
    camp = tmp / 'campaign'; camp.mkdir()
    shutil.copy(src, camp / 'ledger.db')
    budget = (json.loads(sqlite3.connect(camp / 'ledger.db').execute("SELECT value FROM meta WHERE key='identity'").fetchone()[0])
              .get('budget_s') or 30.0)
    running = in_flight(camp / 'ledger.db', budget)
    (camp / 'live.json').write_text(json.dumps(dict(tag=camp.name, state='running', pid=os.getpid(), updated=time.time(),
                                                    budget_s=budget, experiment=running[-1], running=running)))
    nb = dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
              cells=[dict(cell_type='code', metadata={}, execution_count=None, outputs=[], id='dash',
                          source=f'import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom autoresearch_rl.dashboard import Dashboard\n'
                                 f'Dashboard({str(camp)!r})')])
    (tmp / 'dash.ipynb').write_text(json.dumps(nb))
    port = free_port(); server = serve(tmp, port)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which(os.environ.get('CHROMIUM', 'chromium')), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=dict(width=1280, height=900))
            page.goto(f'http://127.0.0.1:{port}/', timeout=a.timeout_s * 1000)
            page.wait_for_selector('button:has-text("Stop")', timeout=a.timeout_s * 1000)
            page.wait_for_timeout(1000)                          # the images decode
            seen = page.evaluate(CHECKS_JS)
            page.screenshot(path=str(out / 'dashboard_browser.png'), full_page=True)
            page.click('button:has-text("Stop")')
            for _ in range(40):
                if (camp / 'STOP').exists(): break
                page.wait_for_timeout(250)
            seen['stop_file'] = (camp / 'STOP').exists()
            seen['chromium'] = browser.version
            browser.close()
    finally:
        server.terminate(); server.wait(10)
    ids = [str(r['id']) for r in running]
    checks = {
        'stop label whole and visible': seen['stop_label'] == 'Stop after this experiment' and seen['stop_cut'] is False,
        'the stop click reached the campaign (STOP file)': seen['stop_file'],
        'one table header row (no index-name row)': seen['header_rows'] == 1,
        'newest experiment first': seen['first_id'] == str(sqlite3.connect(camp / 'ledger.db').execute('SELECT max(id) FROM experiments').fetchone()[0]),
        'header: counts, time, rate, the three in flight': all(w in seen['header'] for w in ['experiments (', 'aborted)', 'experiments/h', '3 in flight'] + [f'experiment {i}' for i in ids]),
        'two plots decoded': len(seen['images']) >= 2 and all(w > 0 and h > 0 for w, h in seen['images'][:2]),
    }
    rec = dict(when=time.strftime('%Y-%m-%d %H:%M:%S'), ledger=str(src.relative_to(ROOT) if src.is_relative_to(ROOT) else src),
               seconds=round(time.time() - t0, 1), seen=seen, checks=checks, passed=all(checks.values()))
    with open(out / 'dashboard_browser.jsonl', 'a') as f: f.write(json.dumps(rec) + '\n')
    for k, v in checks.items(): print(f'{"ok  " if v else "FAIL"} {k}')
    if not rec['passed']: print(json.dumps(seen, indent=1))
    print(f'screenshot: {out / "dashboard_browser.png"}')
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if rec['passed'] else 1

if __name__ == '__main__': sys.exit(main())
