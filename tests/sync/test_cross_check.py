"""The one-ledger cross-check (`crosscheck.py`) on SQLite and PostgreSQL: a bounded number of
examples in the default run (the same ones each time), many more in the `slow` soak."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from crosscheck import Pharmacies, machine

BACKENDS = pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)


@BACKENDS
def test_tills_and_central_agree_on_every_card(server, tmp_path):
    run_state_machine_as_test(
        machine(Pharmacies(server, tmp_path)),
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
@BACKENDS
def test_tills_and_central_agree_on_every_card_soak(server, tmp_path):
    run_state_machine_as_test(
        machine(Pharmacies(server, tmp_path)),
        settings=settings(
            max_examples=300,
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
