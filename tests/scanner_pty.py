"""A serial barcode scanner in tests: the far end of a pseudo-terminal.

The reader opens `link`, a stable path to the pty (as udev's /dev/serial/by-id links
are); unplugging removes the path and hangs the pty up, plugging in makes a new pty,
as a USB serial adapter does. `send` writes a byte at a time at 9,600 baud's pace.
"""

from __future__ import annotations

import os
import time
import tty
from pathlib import Path

BYTE_SECONDS = 10 / 9600  # 8N1: ten bits a byte


class PtyScanner:
    """The scanner's end of a pseudo-terminal, reached through `link`."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None

    def plug(self) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)  # what the reader sees is what the scanner sent
        self.link.symlink_to(os.ttyname(slave))
        os.close(slave)

    def unplug(self) -> None:
        self.link.unlink()
        os.close(self.master)
        self.master = None

    def send(self, data: bytes) -> None:
        for byte in data:
            os.write(self.master, bytes([byte]))
            time.sleep(BYTE_SECONDS)
