#!/usr/bin/env bash
# Set up (virtual environment, the package with every extra) and run the whole test suite:
# lint, format check, pytest. The one test command of the README; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,app,cluster,map]'
# The classroom page's browser test drives Debian's Chromium (Playwright cannot download its
# own browser here); install it when missing so the test runs instead of being skipped.
if ! command -v chromium >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q && $sudo apt-get install -y -q chromium
fi
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m pytest -q "$@"
# The code must also run on Mesa 3.5 under Python 3.12: where such a Python is on the machine
# (on PATH, or installed by pyenv), the core model tests run again there.
py312=""
if python3.12 --version >/dev/null 2>&1; then
    py312=python3.12
else
    py312=$(ls "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | head -n 1 || true)
fi
if [ -n "$py312" ]; then
    "$py312" -m venv .venv312
    .venv312/bin/python -m pip install -q --upgrade pip
    .venv312/bin/python -m pip install -q -e '.[dev]' 'mesa>=3.5,<3.6'
    .venv312/bin/python -m pytest -q -p no:cacheprovider tests/test_smoke.py \
        tests/test_invariants.py tests/test_engines.py tests/test_reductions.py tests/test_cli.py
else
    echo "Python 3.12 not found: the Mesa 3.5 compatibility run is skipped"
fi
