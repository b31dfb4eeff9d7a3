"""Scanner bytes in, codes out: a pure parser, fed whatever the port delivers.

A scanner sends each code followed by a terminator (CR, LF, CR LF or Tab, as it is set
up), sometimes with a configured prefix or suffix and an AIM symbology identifier
(`]E0` for EAN-13, `]C0` for Code128...). The parser frames codes on the terminators,
strips those extras and surrounding whitespace, and drops noise with a log line:
bytes that are not UTF-8, control characters, a code longer than any card, a partial
code cut off by a reset, a burst of junk with no terminator. Nothing dropped ever
reaches the till as a card number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

log = logging.getLogger("pos_loyalty.devices")

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")  # ']' + symbology letter + modifier


@dataclass(frozen=True)
class FramingSettings:
    #: Which bytes end a code; by default any of CR, LF, CR LF or Tab.
    terminators: tuple[bytes, ...] = (b"\r\n", b"\r", b"\n", b"\t")
    prefix: str = ""
    suffix: str = ""
    max_length: int = 48

    @classmethod
    def named(cls, terminator: str = "ANY", prefix: str = "", suffix: str = "") -> FramingSettings:
        """From the till's settings: terminator ANY, CR, LF, CRLF or TAB."""
        key = terminator.upper()
        if key == "ANY":
            return cls(prefix=prefix, suffix=suffix)
        if key not in TERMINATORS:
            raise ValueError(f"unknown scanner terminator {terminator!r} (ANY, CR, LF, CRLF or TAB)")
        return cls(terminators=(TERMINATORS[key],), prefix=prefix, suffix=suffix)


@dataclass
class ScanParser:
    settings: FramingSettings = field(default_factory=FramingSettings)
    dropped: int = 0
    _buffer: bytes = b""

    def feed(self, data: bytes) -> list[str]:
        """The codes completed by `data` (possibly none; a code may span several reads)."""
        self._buffer += data
        codes = []
        while True:
            cut = self._next_terminator()
            if cut is None:
                break
            end, length = cut
            frame, self._buffer = self._buffer[:end], self._buffer[end + length :]
            code = self._clean(frame)
            if code is not None:
                codes.append(code)
        if len(self._buffer) > 4 * self.settings.max_length:
            self._drop(f"{len(self._buffer)} bytes with no terminator (a burst of junk?)")
            self._buffer = b""
        return codes

    def reset(self, why: str = "a partial code cut by a reset") -> None:
        """The port was closed or the scanner reset: a code half-read is noise."""
        if self._buffer.strip():
            self._drop(f"{why} ({self._buffer[:20]!r})")
        self._buffer = b""

    def idle(self) -> None:
        """The line has been quiet for a while. A scanner sends a code and its terminator in
        one burst, so bytes still waiting for a terminator are noise (line junk, a scan cut
        short); dropping them now keeps them from spoiling the next code."""
        self.reset("an unfinished code, no terminator before the line went quiet")

    def _next_terminator(self) -> tuple[int, int] | None:
        """(position, length) of the first terminator. CR LF counts as one where both come
        in one read; split over two reads, the LF just ends an empty frame, ignored."""
        found = None
        for terminator in sorted(self.settings.terminators, key=len, reverse=True):
            at = self._buffer.find(terminator)
            if at >= 0 and (found is None or at < found[0]):
                found = (at, len(terminator))
        return found

    def _clean(self, frame: bytes) -> str | None:
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError:
            return self._drop(f"not UTF-8: {frame[:20]!r}")
        text = text.strip()
        if not text:
            return None  # an empty line between codes: not noise, nothing at all
        if self.settings.prefix:
            if not text.startswith(self.settings.prefix):
                return self._drop(f"missing the prefix {self.settings.prefix!r}: {text[:20]!r}")
            text = text[len(self.settings.prefix) :]
        if self.settings.suffix:
            if not text.endswith(self.settings.suffix):
                return self._drop(f"missing the suffix {self.settings.suffix!r}: {text[:20]!r}")
            text = text[: -len(self.settings.suffix)]
        if _AIM.match(text):
            text = text[3:]
        text = text.strip()
        if not text:
            return self._drop("a symbology identifier with no code")
        if len(text) > self.settings.max_length:
            return self._drop(f"{len(text)} characters, longer than any card ({text[:20]!r}…)")
        if not text.isprintable():
            return self._drop(f"control characters in {text[:20]!r}")
        return text

    def _drop(self, why: str) -> None:
        self.dropped += 1
        log.warning("scanner noise dropped: %s", why)
        return None
