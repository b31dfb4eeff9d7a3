"""Build the one-folder bundle (dist/pos-loyalty/) and smoke-test the program it holds.

    .venv/bin/python scripts/build_bundle.py [--skip-build] [--max-mb 250] [--no-xvfb] [--keep]

It installs nothing: PyInstaller comes from the project's `build` extra
(`.venv/bin/pip install -e ".[build]"`). It builds with
`.venv/bin/pyinstaller --noconfirm --clean pos_loyalty.spec`, checks the bundle's contents,
then runs the BUILT program (never the venv's), from an empty folder and with a bare
environment: `--version`; quotes, a card, a bill, barcodes (PNG, SVG) and the printable
card (PDF), `status`; the counter app offscreen (and on an X screen under xvfb-run when
there is one) until it closes itself; the central service on a free port, a till joined
to it with `connect` and one `sync --once`, a card read back through the service's API;
`central serve --workers 2` (worker processes in a frozen program). It prints the build
time and the bundle's size (du-style, MB) and exits non-zero on any problem.
The last line is `BUNDLE-RESULT {json}` for tests/ship/test_bundle.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "pos-loyalty"
PROGRAM = BUNDLE / "pos-loyalty"
INTERNAL = BUNDLE / "_internal"
BUILD_LOG = ROOT / "build" / "pyinstaller.log"
TIMEOUT = 180  # seconds for any one command of the program

# In the bundle, or the program cannot do its job.
MUST_HAVE = [
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/Qt/lib/libQt6PrintSupport.so.6",
    "pos_loyalty/replica/migrations/env.py",
    "pos_loyalty/replica/migrations/script.py.mako",
    "central/store/migrations/env.py",
    "barcode/fonts/DejaVuSansMono.ttf",
]
MUST_HAVE_SOME = ["pos_loyalty/replica/migrations/versions/*.py", "central/store/migrations/versions/*.py"]
# Left out on purpose (pos_loyalty.spec; docs/shipping.md says why).
MUST_NOT_HAVE = [
    "PySide6/Qt/translations",
    "PySide6/Qt/qml",
    "**/libQt6WebEngine*",
    "**/libQt6Qml*",
    "**/libQt6Quick*",
    "**/libQt63D*",
    "**/libQt6Network*",
    "**/QtNetwork*",
    "**/_tkinter*",
    "**/libtk*",
    "**/_avif*",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforms/libqwayland*.so",
]
MODULES_NOT_WANTED = ("pytest", "_pytest", "hypothesis", "tkinter", "PySide6.QtWebEngine", "PySide6.QtQml",
                      "PySide6.QtQuick", "PySide6.Qt3D", "rich", "pygments")


class Failed(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-build", action="store_true", help="smoke-test the bundle already in dist/")
    parser.add_argument("--max-mb", type=float, default=250.0, help="fail when the bundle is bigger (250)")
    parser.add_argument("--no-xvfb", action="store_true", help="do not run the counter app under xvfb-run")
    parser.add_argument("--keep", action="store_true", help="keep the smoke test's folder and print where")
    parser.add_argument("--pyinstaller", default=str(ROOT / ".venv" / "bin" / "pyinstaller"))
    args = parser.parse_args()
    result: dict[str, object] = {}
    try:
        if not args.skip_build:
            result["buildSeconds"] = round(build(Path(args.pyinstaller)), 1)
        if not PROGRAM.is_file():
            raise Failed(f"{PROGRAM} is not there: build it first (without --skip-build)")
        check_contents()
        check_libraries()
        work = Path(tempfile.mkdtemp(prefix="pos-loyalty-bundle-"))
        try:
            smoke(work, xvfb=not args.no_xvfb)
        finally:
            if args.keep:
                print(f"smoke test folder kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
        size = du_mb(BUNDLE)
        result["sizeMB"] = round(size, 1)
        if "buildSeconds" in result:
            print(f"build time: {result['buildSeconds']} s")
        print(f"bundle size: {size:.1f} MB ({BUNDLE.relative_to(ROOT)}, du-style; limit {args.max_mb:g} MB)")
        if size > args.max_mb:
            raise Failed(f"the bundle is {size:.1f} MB, over the {args.max_mb:g} MB limit")
    except Failed as failure:
        print(f"\nbuild_bundle: FAILED: {failure}", file=sys.stderr)
        result["ok"] = False
        print("BUNDLE-RESULT " + json.dumps(result))
        return 1
    result["ok"] = True
    print("BUNDLE-RESULT " + json.dumps(result))
    return 0


# --- build -------------------------------------------------------------------------------


def build(pyinstaller: Path) -> float:
    if not pyinstaller.is_file():
        raise Failed(f"{pyinstaller} not found: install the build extra (.venv/bin/pip install -e \".[build]\")")
    command = [str(pyinstaller), "--noconfirm", "--clean", "pos_loyalty.spec"]
    print("building:", " ".join(command), flush=True)
    BUILD_LOG.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with BUILD_LOG.open("w") as log:
        done = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = BUILD_LOG.read_text(errors="replace").splitlines()[-40:]
        raise Failed(f"pyinstaller exited {done.returncode} (log: {BUILD_LOG}):\n" + "\n".join(tail))
    print(f"built in {seconds:.1f} s (log: {BUILD_LOG.relative_to(ROOT)})", flush=True)
    return seconds


def check_contents() -> None:
    problems = [f"missing: {path}" for path in MUST_HAVE if not (INTERNAL / path).exists()]
    problems += [f"missing: {pattern}" for pattern in MUST_HAVE_SOME if not list(INTERNAL.glob(pattern))]
    for pattern in MUST_NOT_HAVE:
        problems += [f"should not be there: {p.relative_to(BUNDLE)}" for p in INTERNAL.glob(pattern)]
    toc = ROOT / "build" / "pos_loyalty" / "PYZ-00.toc"
    if toc.is_file():  # the Python modules in the executable's archive, as the build listed them
        text = toc.read_text()
        problems += [f"module in the bundle: {name}" for name in MODULES_NOT_WANTED if f"('{name}" in text]
    if problems:
        raise Failed("the bundle's contents:\n  " + "\n  ".join(problems))
    print("contents: Qt plugins (xcb, offscreen, printsupport), migrations, barcode font; nothing left out is there")


def check_libraries() -> None:
    """Every shared library in the bundle finds the libraries it links to (ldd, on this machine)."""
    if shutil.which("ldd") is None:
        print("libraries: ldd not found, not checked")
        return
    search = [str(INTERNAL), str(INTERNAL / "PySide6" / "Qt" / "lib")]
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(search)}
    missing: dict[str, list[str]] = {}
    count = 0
    for path in sorted(INTERNAL.rglob("*.so*")):
        if path.is_symlink() or not path.is_file() or path.read_bytes()[:4] != b"\x7fELF":
            continue
        count += 1
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        lost = [line.split()[0] for line in out.splitlines() if "not found" in line]
        if lost:
            missing[str(path.relative_to(BUNDLE))] = lost
    if missing:
        raise Failed("libraries that do not load:\n  " + "\n  ".join(f"{k}: {', '.join(v)}" for k, v in missing.items()))
    print(f"libraries: the {count} shared libraries of the bundle find what they link to")


# --- smoke test of the built program ---------------------------------------------------


def bare_environment(home: Path, **extra: str) -> dict[str, str]:
    """No venv, no PYTHONPATH, no project on the path: what a till's user has."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "POS_LOYALTY_OPERATOR": "smoke"}
    env.update(extra)
    return env


class Program:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.home = work / "home"
        self.home.mkdir()

    def run(self, *args: str, data: str | None = None, env: dict[str, str] | None = None,
            prefix: tuple[str, ...] = (), timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
        command = [*prefix, str(PROGRAM), *(["--data-dir", str(self.work / data)] if data else []), *args]
        shown = " ".join(["pos-loyalty", *args])
        try:
            done = subprocess.run(command, cwd=self.work, env=env or bare_environment(self.home),
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failed(f"`{shown}` did not finish in {timeout:g} s") from None
        if done.returncode != 0:
            raise Failed(f"`{shown}` exited {done.returncode}\nstdout: {done.stdout[-2000:]}\n"
                         f"stderr: {done.stderr[-2000:]}{self.log_tail(data)}")
        return done

    def json(self, *args: str, data: str) -> dict:
        done = self.run(*args, "--json", data=data)
        try:
            return json.loads(done.stdout, parse_float=Decimal)
        except ValueError:
            raise Failed(f"`pos-loyalty {' '.join(args)} --json` printed no JSON: {done.stdout[:500]!r}") from None

    def log_tail(self, data: str | None) -> str:
        log = self.work / data / "logs" / "pos-loyalty.log" if data else None
        if log is None or not log.is_file():
            return ""
        return "\nlog: " + "\n".join(log.read_text(errors="replace").splitlines()[-25:])


def expect(what: str, actual: object, wanted: object) -> None:
    if actual != wanted:
        raise Failed(f"{what}: {actual!r}, expected {wanted!r}")


def step(text: str) -> None:
    print(f"  ok  {text}", flush=True)


def smoke(work: Path, *, xvfb: bool) -> None:
    print(f"smoke test of {PROGRAM.relative_to(ROOT)} in {work}", flush=True)
    program = Program(work)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    expect("--version", program.run("--version").stdout.strip(), f"pos-loyalty {version}")
    step(f"--version: pos-loyalty {version}")
    till_commands(program)
    counter_app(program, xvfb=xvfb)
    central_and_sync(program)


def till_commands(program: Program) -> None:
    quote = program.json("bill", "quote", "--item", "1:100", data="till")
    for field, wanted in (("billAmount", "100.00"), ("netAmount", "100.00"), ("payable", "100.00"),
                          ("pointsEarned", "0.00"), ("configVersion", 1)):
        expect(f"bill quote --item 1:100: {field}", quote.get(field), Decimal(wanted) if isinstance(wanted, str) else wanted)
    step("bill quote --item 1:100 (a new data folder, migrated, sample configuration): payable 100.00")

    card = program.json("card", "issue", "--name", "Smoke Test", "--phone", "5550100", data="till")
    number = str(card.get("cardNumber"))
    if not (len(number) == 13 and number.isdigit()):
        raise Failed(f"card issue: card number {number!r}")
    step(f"card issue: {number}")

    # Seed 002's sample: Medicines 5 % member discount and 1 % points, General 3 % points.
    items = ("--card", number, "--item", "1:100", "--item", "2:2x50")
    quote = program.json("bill", "quote", *items, data="till")
    for field, wanted in (("billAmount", "200.00"), ("categoryDiscount", "5.00"), ("payable", "195.00"),
                          ("pointsEarned", "3.95")):
        expect(f"bill quote with the card: {field}", quote.get(field), Decimal(wanted))
    bill = program.json("bill", "finalize", *items, data="till")
    expect("bill finalize: pointsEarned", bill.get("pointsEarned"), Decimal("3.95"))
    shown = program.json("card", "show", number, data="till")
    expect("card show after the bill: pointsBalance", shown.get("pointsBalance"), Decimal("3.95"))
    step("bill quote / finalize with the card: payable 195.00, 3.95 points on the card")

    png, svg, pdf = (program.work / f"card.{kind}" for kind in ("png", "svg", "pdf"))
    for path in (png, svg, pdf):
        program.run("card", "barcode", number, "--out", str(path), data="till")
    head = png.read_bytes()[:24]
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:8] != b"\x89PNG\r\n\x1a\n" or width < 300 or height < 100:
        raise Failed(f"card barcode --out card.png: not the barcode image ({head[:8]!r}, {width}x{height})")
    if b"<svg" not in svg.read_bytes()[:2000]:
        raise Failed("card barcode --out card.svg: not an SVG")
    document = pdf.read_bytes()
    if not document.startswith(b"%PDF") or b"/Width 1011" not in document:
        raise Failed("card barcode --out card.pdf: not the printable card (a 1011 x 638 image in a PDF)")
    step(f"card barcode: PNG {width}x{height} (font from python-barcode), SVG, printable card PDF")

    status = program.json("status", data="till")
    expect("status: schemaRevision present", bool(status.get("schemaRevision")), True)
    expect("status: cards", status.get("cards"), 1)
    expect("status: bills", status.get("bills"), 1)
    step(f"status: schema {status.get('schemaRevision')}, {status.get('pendingMutations')} mutation(s) pending")


def counter_app(program: Program, *, xvfb: bool) -> None:
    env = bare_environment(program.home, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    program.run("till", "--demo", "--quit-after", "3", data="counter", env=env, timeout=120)
    step(f"till --demo --quit-after 3, offscreen: closed itself, exit 0 ({time.monotonic() - started:.1f} s)")
    if not xvfb:
        return
    if shutil.which("xvfb-run") is None:
        print("  --  the counter app on an X screen: xvfb-run not found, skipped")
        return
    env = bare_environment(program.home, QT_QPA_PLATFORM="xcb")
    program.run("till", "--demo", "--quit-after", "3", data="counter-x", env=env, timeout=120,
                prefix=("xvfb-run", "-a", "-s", "-screen 0 1280x800x24"))
    step("till --demo --quit-after 3 on an X screen (xcb, xvfb-run): closed itself, exit 0")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read(), parse_float=Decimal)
    except urllib.error.HTTPError as error:
        return error.code, {}


class Central:
    """`pos-loyalty central serve` of the bundle, on a free port, stopped with Ctrl+C (SIGINT)."""

    def __init__(self, program: Program, database: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = program.work / f"central-{self.port}.log"
        with self.out.open("w") as log:
            self.process = subprocess.Popen(
                [str(PROGRAM), "--data-dir", str(database.parent), "central", "serve", "--db", str(database),
                 "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
                cwd=program.work, env=bare_environment(program.home), stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise Failed(f"central serve exited {self.process.returncode} at start:\n{self.output()}")
            try:
                status, body = http_get(self.url + "/health")
                if status == 200:
                    expect("GET /health", body, {"status": "ok"})
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise Failed(f"central serve did not answer GET /health in 90 s:\n{self.output()}")
            time.sleep(0.3)

    def output(self) -> str:
        return self.out.read_text(errors="replace")[-3000:]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise Failed(f"central serve did not stop on SIGINT in 30 s:\n{self.output()}") from None
        return self.process.returncode


def central_and_sync(program: Program) -> None:
    database = program.work / "central" / "central.sqlite3"
    database.parent.mkdir()
    tenant = program.json("central", "create-tenant", "--db", str(database), "--name", "Smoke Pharmacy",
                          "--sample-config", data="central")
    device = program.json("central", "add-device", "--db", str(database), "--tenant", str(tenant["tenantId"]),
                          "--name", "smoke-till", data="central")
    step(f"central create-tenant ({tenant['tenantId']}) and add-device (block {device.get('cardBlock')})")

    central = Central(program, database)
    try:
        step(f"central serve on {central.url}: GET /health answers {{'status': 'ok'}}")
        joined = program.json("connect", central.url, "--token", device["deviceToken"], data="joined")
        expect("connect: tenantId", str(joined.get("tenantId")), str(tenant["tenantId"]))
        card = program.json("card", "issue", "--name", "Synced Customer", "--phone", "5550200", data="joined")
        number = str(card["cardNumber"])
        program.json("bill", "finalize", "--card", number, "--item", "3:100", data="joined")
        report = program.json("sync", "--once", data="joined")
        pushed = report.get("pushed") or {}
        if not pushed.get("applied") or pushed.get("rejected"):
            raise Failed(f"sync --once: pushed {pushed}")
        status, remote = http_get(f"{central.url}/api/v1/cards/by-number/{number}", tenant["adminToken"])
        expect(f"GET /api/v1/cards/by-number/{number}: HTTP status", status, 200)
        # Baby Care: 10 % member discount, 5 % points of the 90.00 paid.
        expect("the card at the central service: pointsBalance", remote.get("pointsBalance"), Decimal("4.50"))
        local = program.json("status", data="joined")
        expect("status after the sync: pendingMutations", local.get("pendingMutations"), 0)
        step(f"connect + card issue + bill finalize + sync --once: {pushed.get('applied')} mutation(s) applied, "
             f"the card reads back from the service with 4.50 points")
    finally:
        code = central.stop()
    expect("central serve's exit status after SIGINT", code, 0)
    step("central serve stopped on SIGINT, exit 0")

    central = Central(program, database, workers=2)
    try:
        for _ in range(4):
            expect("GET /health (2 workers)", http_get(central.url + "/health")[0], 200)
    finally:
        code = central.stop()
    expect("central serve --workers 2: exit status after SIGINT", code, 0)
    if "invalid choice" in central.output() or "Traceback" in central.output():
        raise Failed(f"central serve --workers 2 said:\n{central.output()}")
    step("central serve --workers 2 (worker processes of the frozen program): answers, stops")


def du_mb(folder: Path) -> float:
    """Disk usage in MB (MiB) as `du -s` counts it: allocated blocks, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in [folder, *folder.rglob("*")]:
        info = path.lstat()
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        total += info.st_blocks * 512
    return total / (1024 * 1024)


if __name__ == "__main__":
    sys.exit(main())
