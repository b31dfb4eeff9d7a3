"""The till's core: loyalty rules, ledger, SQLite replica and services.

This package knows nothing of Qt, HTTP or serial ports (see docs/architecture.md);
the counter app (`ui`), the sync daemon (`sync`), the scanners (`devices`) and the
central service (`central`) are built on top of it.
"""

__version__ = "0.1.0"
