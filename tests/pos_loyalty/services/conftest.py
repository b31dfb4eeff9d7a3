"""The `audit` fixture: `audit(path)` checks a replica file's invariants (tests/replica_audit.py)."""

from __future__ import annotations

import pytest

from replica_audit import ReplicaAudit


@pytest.fixture
def audit():
    """`audit(path)`: a ReplicaAudit of the replica file at `path`."""
    return ReplicaAudit
