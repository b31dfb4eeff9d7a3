"""Without PostgreSQL the PostgreSQL tests fail, saying how to get it; they never skip (a green
run that silently left out one backend would hide exactly the bugs they are there for)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NEEDS_POSTGRESQL = '''
def test_needs_it(pg_cluster):
    pass
'''
#: The project's own fixtures, loaded from tests/conftest.py (tests/ last on the path, so that
#: `pos_loyalty` is still the project's package, not the tests' folder of that name).
CONFTEST = '''
import importlib.util, sys
sys.path.append({tests!r})
spec = importlib.util.spec_from_file_location("project_conftest", {conftest!r})
project = importlib.util.module_from_spec(spec)
spec.loader.exec_module(project)
pg_cluster = project.pg_cluster
'''


def test_postgresql_tests_fail_when_postgresql_is_missing(tmp_path: Path):
    (tmp_path / "test_needs_postgresql.py").write_text(NEEDS_POSTGRESQL)
    tests = Path(__file__).parent
    (tmp_path / "conftest.py").write_text(CONFTEST.format(tests=str(tests), conftest=str(tests / "conftest.py")))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tests.parent,  # the project, so that `pos_loyalty` is its package
        env={**os.environ, "POS_LOYALTY_PG_BINDIR": str(tmp_path / "nowhere")},
    )
    assert done.returncode == 1, done.stdout
    assert "1 error" in done.stdout and "skipped" not in done.stdout
    assert "PostgreSQL is not installed here" in done.stdout and "./run test" in done.stdout
