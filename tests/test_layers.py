"""The layer rule of docs/architecture.md, checked by import-linter's contracts in pyproject.toml."""

from pathlib import Path

import subprocess
import sys

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    """In its own process: import-linter configures logging in a way that disables every
    logger that exists already (the app's own, in this test process)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_no_unused_imports_undefined_names_or_syntax_errors():
    """ruff's pyflakes rules over the whole project (configured in pyproject.toml)."""
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run([str(ruff), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
