"""The till's scanner settings (`till_settings` keys `scanner.*`) as pyserial port settings."""

from __future__ import annotations

from devices.scan_parser import FramingSettings
from devices.serial_scanner import PortSettings

PORT, BAUD, PARITY = "scanner.port", "scanner.baud", "scanner.parity"
TERMINATOR, PREFIX, SUFFIX = "scanner.terminator", "scanner.prefix", "scanner.suffix"


def port_settings(settings: dict[str, str], *, port: str | None = None, baud: int | None = None) -> PortSettings | None:
    """The serial scanner set up at this till (`port`/`baud` override it); None if there is none."""
    chosen = port or settings.get(PORT)
    if not chosen:
        return None
    return PortSettings(
        port=chosen,
        baud=baud or _whole(settings.get(BAUD, "9600"), BAUD),
        parity=settings.get(PARITY, "none"),
        framing=FramingSettings.named(settings.get(TERMINATOR, "ANY"), settings.get(PREFIX, ""), settings.get(SUFFIX, "")),
    )


def _whole(text: str, key: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{key} must be a whole number such as 9600, not {text!r}") from None
