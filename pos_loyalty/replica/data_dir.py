"""The till's data folder, and the one secret kept beside the replica rather than in it.

The folder holds the customers' cards and ledger, so a new one is made readable by its
owner only (0700). The device token the central service gave this till is in
`DATA_DIR/central-token` (0600, written whole or not at all), never in the replica:
everything in the replica goes into every backup, and a backup is a file people copy to
USB sticks. A backup restored on another PC therefore has no token, and the till is
connected again with `pos-loyalty connect` (docs/shipping.md, "Backups and restores").
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

TOKEN_FILE = "central-token"

#: A new data folder: its owner only.
FOLDER_MODE = 0o700
#: The token file: its owner may read and write it, nobody else anything.
TOKEN_MODE = 0o600


def make(data_dir: Path | str) -> Path:
    """The data folder, made (0700, with any missing parents) if it is not there yet.

    An existing folder keeps its mode: a service unit or an administrator may have set it
    up for two accounts on purpose.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # another process made it meanwhile
            pass
    return folder


def token_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / TOKEN_FILE


def read_token(data_dir: Path | str) -> str | None:
    """This till's device token, or None if it has none (never connected, or restored on
    another PC). A file others could read is made private first."""
    path = token_path(data_dir)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077 and os.name != "nt":
            os.chmod(path, TOKEN_MODE)
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return token or None


def write_token(data_dir: Path | str, token: str, *, replace: bool = True) -> bool:
    """Keep `token` as this till's device token: a private file, in place only once it is
    complete (a power cut leaves the old token or the new one, never half of one).

    `replace=False` keeps a token already there (a replica migration moving an older
    token out must not undo a newer `connect`). True if the token was written.
    """
    folder = make(data_dir)
    target = token_path(folder)
    if not replace and target.exists():
        return False
    partial = folder / f".{TOKEN_FILE}.{os.getpid()}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, TOKEN_MODE)
    try:
        os.write(descriptor, (token.strip() + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        if os.name != "nt":
            os.chmod(partial, TOKEN_MODE)  # O_CREAT's mode is cut by the umask, never widened; be sure
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_folder(folder)
    return True


def forget_token(data_dir: Path | str) -> None:
    token_path(data_dir).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    if os.name == "nt":  # pragma: no cover (Windows cannot open folders)
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
