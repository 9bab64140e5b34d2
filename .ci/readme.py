"""README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which this project does not install).

    python .ci/readme.py          write README.md
    python .ci/readme.py --check  exit 1 when README.md differs from what index.ipynb renders to
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path=root / 'nbs' / 'index.ipynb'):
    cells = json.loads(nb_path.read_text())['cells']
    parts = []
    for cell in cells:
        src = ''.join(cell['source']).strip()
        if not src or src.startswith('#| hide'): continue
        parts.append(src if cell['cell_type'] == 'markdown' else f'```python\n{src}\n```')
    return '<!-- generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file -->\n\n' + \
        '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), root / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python .ci/readme.py` and commit it')
    else: readme.write_text(text)
