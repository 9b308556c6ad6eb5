#!/usr/bin/env bash
# Set up (virtual environment, the package with every extra) and run the whole test suite:
# lint, format check, pytest. The one test command of the README; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,app]'
# The classroom page's browser test drives Debian's Chromium (Playwright cannot download its
# own browser here); install it when missing so the test runs instead of being skipped.
if ! command -v chromium >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q && $sudo apt-get install -y -q chromium
fi
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m pytest -q "$@"
