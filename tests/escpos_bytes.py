"""What a receipt printer would make of the bytes it was sent: an ESC/POS decoder for tests.

Strict on purpose: a command it does not know fails the test, so a job that would print
garbage cannot pass. It knows what a receipt uses: ESC @ (reset), ESC t (code table),
ESC E (bold), ESC a (alignment), ESC d (feed), ESC ! / GS ! (sizes), GS h/w/f/H (barcode
height, module width, font, number position), GS k (barcode, both forms), GS V (cut),
DLE EOT (a status question).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
#: ESC t n -> the Python codec of that code table (the ones the tests use)
CODE_TABLES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}
#: GS k m: function A (m 0..6, data ends with NUL) and B (m 65..79, a length byte first)
SYMBOLOGIES = {2: "EAN13", 67: "EAN13", 73: "CODE128", 4: "CODE39", 69: "CODE39", 3: "EAN8", 68: "EAN8"}


@dataclass
class Printout:
    """What came out: text lines (in order, with whether each was bold and how aligned),
    the barcodes (symbology, data), the cuts, and every command in order."""

    lines: list[str] = field(default_factory=list)
    bold: list[str] = field(default_factory=list)  # the lines printed bold
    barcodes: list[tuple[str, str]] = field(default_factory=list)
    cuts: list[int] = field(default_factory=list)  # GS V modes
    commands: list[tuple] = field(default_factory=list)
    status_questions: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def decode(data: bytes) -> Printout:
    out = Printout()
    table, is_bold, align = "cp437", False, 0
    pending = bytearray()
    i = 0

    def take(count: int) -> bytes:
        nonlocal i
        if i + count > len(data):
            raise AssertionError(f"a command cut short at byte {i}: {data[i - 2:i + count]!r}")
        chunk = data[i:i + count]
        i += count
        return chunk

    def flush_line() -> None:
        text = bytes(pending).decode(table)
        out.lines.append(text)
        if is_bold:
            out.bold.append(text)
        pending.clear()

    while i < len(data):
        byte = data[i]
        i += 1
        if byte == LF:
            flush_line()
        elif byte == ESC:
            command = take(1)[0]
            if command == ord("@"):
                out.commands.append(("init",))
                table, is_bold, align = "cp437", False, 0
            elif command == ord("t"):
                number = take(1)[0]
                if number not in CODE_TABLES:
                    raise AssertionError(f"code table {number} is not known to the decoder")
                table = CODE_TABLES[number]
                out.commands.append(("codepage", number))
            elif command == ord("E"):
                is_bold = bool(take(1)[0] & 1)
                out.commands.append(("bold", is_bold))
            elif command == ord("a"):
                align = take(1)[0] % 48
                out.commands.append(("align", align))
            elif command == ord("d"):
                out.commands.append(("feed", take(1)[0]))
            elif command == ord("!"):
                out.commands.append(("mode", take(1)[0]))
            else:
                raise AssertionError(f"unknown command ESC {command:#04x} at byte {i - 2}")
        elif byte == GS:
            command = take(1)[0]
            if command in (ord("h"), ord("w"), ord("f"), ord("H"), ord("!")):
                out.commands.append(("GS " + chr(command), take(1)[0]))
            elif command == ord("k"):
                kind = take(1)[0]
                if kind <= 6:
                    end = data.index(b"\x00", i)
                    code = take(end - i).decode("ascii")
                    take(1)
                elif 65 <= kind <= 79:
                    code = take(take(1)[0]).decode("ascii")
                else:
                    raise AssertionError(f"GS k {kind} is not a barcode")
                name = SYMBOLOGIES.get(kind, str(kind))
                if name == "CODE128":
                    assert code[:1] == "{", f"a CODE128 barcode starts by choosing its code set: {code!r}"
                    code = code[2:]
                out.barcodes.append((name, code))
                out.commands.append(("barcode", name, code, align))
            elif command == ord("V"):
                mode = take(1)[0]
                if mode in (65, 66):
                    take(1)
                elif mode not in (0, 1, 48, 49):
                    raise AssertionError(f"GS V {mode} is not a cut")
                out.cuts.append(mode)
                out.commands.append(("cut", mode))
            else:
                raise AssertionError(f"unknown command GS {command:#04x} at byte {i - 2}")
        elif byte == DLE:
            if take(1)[0] != 0x04:
                raise AssertionError(f"unknown command DLE at byte {i - 2}")
            question = take(1)[0]
            out.status_questions.append(question)
            out.commands.append(("status?", question))
        elif byte < 0x20 and byte not in (0x09,):
            raise AssertionError(f"control byte {byte:#04x} at {i - 1} is no command the decoder knows")
        else:
            pending.append(byte)
    if pending:
        flush_line()  # text never fed out: a printer prints it only with the next LF
        out.commands.append(("unfed", out.lines[-1]))
    return out
