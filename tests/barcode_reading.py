"""Reading barcodes back in tests, with the symbologies' own tables (python-barcode's
`charsets`): a module string ('1' = a dark module) becomes the number it encodes."""

from __future__ import annotations

from barcode.charsets import code128, ean


def decode_ean13(modules: str) -> str:
    assert len(modules) == 95
    assert modules[:3] == ean.EDGE and modules[45:50] == ean.MIDDLE and modules[-3:] == ean.EDGE
    left = [modules[3 + 7 * i : 10 + 7 * i] for i in range(6)]
    right = [modules[50 + 7 * i : 57 + 7 * i] for i in range(6)]
    digits, parity = "", ""
    for symbol in left:
        code = "A" if symbol in ean.CODES["A"] else "B"
        digits += str(ean.CODES[code].index(symbol))
        parity += code
    digits += "".join(str(ean.CODES["C"].index(symbol)) for symbol in right)
    return str(ean.LEFT_PATTERN.index(parity)) + digits


def decode_code128(modules: str) -> str:
    """Code128 in code sets B and C (python-barcode switches to C for runs of digits)."""
    assert modules.endswith(code128.STOP + "11")  # stop pattern and its final bar
    values = [code128.CODES.index(modules[i : i + 11]) for i in range(0, len(modules) - 13, 11)]
    *data, check = values[1:]
    assert check == (values[0] + sum(weight * value for weight, value in enumerate(data, 1))) % 103
    by_value_b = {value: char for char, value in code128.B.items()}
    current = {code128.START_CODES["B"]: "B", code128.START_CODES["C"]: "C"}[values[0]]
    text = ""
    for value in data:
        if current == "B" and value == 99:  # CODE C
            current = "C"
        elif current == "C" and value == 100:  # CODE B
            current = "B"
        elif current == "C":
            text += f"{value:02d}"
        else:
            text += by_value_b[value]
    return text




def modules_from_run_lengths(runs: list[tuple[bool, float]]) -> str:
    """Dark/light runs (widths in pixels or mm) as modules: the module width is the one for
    which every run is a whole number of modules (a PNG's module may be 3.8 px wide)."""
    span = sum(width for _dark, width in runs)
    for count in range(len(runs), 2000):
        module = span / count
        widths = [width / module for _dark, width in runs]
        if all(abs(w - round(w)) < 0.3 and round(w) >= 1 for w in widths) and sum(map(round, widths)) == count:
            return "".join(("1" if dark else "0") * round(w) for (dark, _), w in zip(runs, widths))
    raise AssertionError("the bars are not whole numbers of any module width")


def modules_from_png(path) -> str:  # type: ignore[no-untyped-def]
    """The bars of python-barcode's PNG, read across the middle of the bars."""
    from PIL import Image

    image = Image.open(path).convert("L")
    row = [image.getpixel((x, image.height // 3)) < 128 for x in range(image.width)]
    first, last = row.index(True), len(row) - 1 - row[::-1].index(True)
    runs, start = [], first
    for x in range(first + 1, last + 2):
        if x == last + 1 or row[x] != row[start]:
            runs.append((row[start], float(x - start)))
            start = x
    return modules_from_run_lengths(runs)


def modules_from_svg(path) -> str:  # type: ignore[no-untyped-def]
    """The bars of python-barcode's SVG: its dark rectangles, left to right."""
    import re

    text = path.read_text()
    bars = sorted(
        (float(x), float(width))
        for x, width, style in re.findall(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm" height="[\d.]+mm" style="([^"]*)"', text)
        if "fill:black" in style.replace(" ", "")
    )
    runs, end = [], None
    for x, width in bars:
        if end is not None and x - end > 1e-6:
            runs.append((False, x - end))
        runs.append((True, width))
        end = x + width
    return modules_from_run_lengths(runs)
