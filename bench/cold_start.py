"""The counter app's cold start on a replica of a million cards, and its memory after 1,000 bills.

    .venv/bin/python bench/cold_start.py [--cards N] [--runs 5] [--bills 1000] [--out DIR]
    .venv/bin/python bench/cold_start.py --only start        # or --only memory
    .venv/bin/python bench/cold_start.py --bundle DIR        # a bundle other than dist/pos-loyalty
    .venv/bin/python bench/cold_start.py --build-bundle DIR  # build one into DIR first (minutes)

**Start** (issue 16: ready to scan in <= 1.5 s). The cached benchmark replica
(`till_replica.py`, as `bench_till.py` uses it) is copied into a fresh data folder; then
the real program is started as a new process, `pos-loyalty --data-dir DIR till
--quit-after 1`, by each launcher there is: the venv's entry point, `./run app` (as the
README starts it) and the PyInstaller bundle. Each starts offscreen and on an X screen
(an `Xvfb` server started once for the series, so that the server's own start is not
counted, as it would not be at a counter). "Ready" is the app's own line in
POS_LOYALTY_READY_FILE (`ui/app.py`): written on the event loop's first turn once the
window is on the screen, with whether the card field has the focus. The time is from
just before the spawn to that line (both CLOCK_MONOTONIC). A "cold" series first drops
the replica and the program's files (project, venv and interpreter, or the bundle) from
the page cache (posix_fadvise DONTNEED, file by file: files mapped by running processes
and the system's own libraries stay cached), as after a reboot. The baseline, in the same
run: a bare PySide6 process that shows a QWidget and says so on its first loop turn.
Each series passes when its slowest start is within 1.5 s.

**Memory.** In a process of its own, offscreen, the real counter app (`ui.app.run`: window,
scanners, sync runner) on a fresh copy of the replica, driven as the UI tests drive it
(`tests/counter_keys.py`): a card scanned (typed as fast as a wedge scanner types), three
lines rung up, the most points redeemed on every other bill, F12, the receipt closed.
VmRSS and VmHWM (/proc/self/status) at start, after 100 bills and at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # counter_keys: how the UI tests drive the till

from bench_till import machine  # noqa: E402  (bench/ is on the path when run as a script)
from till_replica import card_number, working_copy  # noqa: E402

from pos_loyalty.replica.db import FILE_NAME  # noqa: E402
from ui.app import READY_FILE  # noqa: E402

TARGET_S = 1.5
QUIT_AFTER_S = "1"  # the app closes itself this long after it started its event loop
START_TIMEOUT_S = 20  # a program that has not said it is ready by then is stopped (a box waiting for a click)
SOURCES = ("cli", "ui", "pos_loyalty", "devices", "sync", "central")
BARE_QT = f"""
import os, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
window = QWidget()
window.show()
def ready():
    if not window.windowHandle().isExposed():
        QTimer.singleShot(1, ready)
        return
    with open(os.environ["{READY_FILE}"], "a") as said:
        said.write(f"ready {{time.monotonic_ns()}} focused=yes\\n")
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


class Failed(Exception):
    pass


@dataclass
class Start:
    seconds: float
    focused: bool
    rss_mb: float | None


# --- starting the program -------------------------------------------------------------------


def start_once(command: list[str], env: dict[str, str], ready_file: Path) -> Start:
    """Spawn `command`; the time until it writes its ready line, and its memory then."""
    ready_file.unlink(missing_ok=True)
    started = time.monotonic_ns()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    words: list[str] | None = None
    rss = None
    while words is None and child.poll() is None and time.monotonic_ns() - started < START_TIMEOUT_S * 1e9:
        said = ready_file.read_text() if ready_file.exists() else ""
        if said.endswith("\n"):
            words = said.split()
            rss = memory(Path(f"/proc/{child.pid}/status"))[0]
        else:
            time.sleep(0.002)
    if child.poll() is None and words is None:
        child.kill()
    _out, err = child.communicate(timeout=60)
    if words is None and ready_file.exists():  # it wrote the line just before it closed
        words = ready_file.read_text().split()
    if child.returncode != 0 or not words:
        why = err.strip()[-600:] or f"exit status {child.returncode}, and it never said it was ready"
        raise Failed(f"{Path(command[0]).name}: {why}")
    return Start((int(words[1]) - started) / 1e9, words[2] == "focused=yes", rss)


def series(name: str, command: list[str], env: dict[str, str], runs: int, ready_file: Path,
           before: Callable[[], None] | None = None) -> list[Start] | None:
    print(f"  {name}:", end=" ", flush=True)
    starts = []
    try:
        for _ in range(runs):
            if before is not None:
                before()
            starts.append(start_once(command, env, ready_file))
            print(f"{starts[-1].seconds:.3f}", end=" ", flush=True)
    except Failed as problem:
        print(f"\n    FAILED: {problem}")
        return None
    print()
    return starts


def summary(name: str, starts: list[Start], baseline: float | None, judged: bool = True) -> str:
    times = [start.seconds for start in starts]
    median = statistics.median(times)
    ratio = f"{median / baseline:4.1f}x" if baseline else "     "
    rss = [start.rss_mb for start in starts if start.rss_mb is not None]
    focus = "" if all(start.focused for start in starts) else "  (card field NOT focused)"
    verdict = ("PASS" if max(times) <= TARGET_S and not focus else "FAIL") if judged else "    "
    return (f"  {name:<34} {min(times):6.3f} {median:6.3f} {max(times):6.3f} s  {ratio}"
            f"  {statistics.median(rss) if rss else 0:5.0f} MB  {verdict}{focus}")


def evict(paths: list[Path]) -> None:
    """Drop these files (and every file under these folders) from the page cache; a file
    named here (the replica, just written) is flushed first, as dirty pages stay."""
    def files() -> Iterator[Path]:
        for path in paths:
            if path.is_file():
                with open(path, "rb+") as written:
                    os.fsync(written.fileno())
                yield path
            for folder, _dirs, names in os.walk(path):
                for name in names:
                    yield Path(folder) / name

    for path in files():
        if path.is_symlink() or not path.is_file():
            continue
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass
        finally:
            os.close(descriptor)


@contextmanager
def x_screen() -> Iterator[str | None]:
    """DISPLAY of an Xvfb server of our own (None without Xvfb)."""
    server = shutil.which("Xvfb")
    if server is None:
        yield None
        return
    read, write = os.pipe()
    process = subprocess.Popen(
        [server, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as said:
        number = said.readline().strip()
    try:
        yield f":{number}" if number else None
    finally:
        process.terminate()
        process.wait(10)


def launchers(bundle: Path | None) -> list[tuple[str, list[str], list[Path]]]:
    """(name, command, its files for a cold start) for each way there is to start the till."""
    venv = ROOT / ".venv"
    interpreter = Path(sys.base_prefix) / "lib"
    venv_files = [ROOT / name for name in SOURCES] + [venv / "lib", interpreter]
    found = [("venv pos-loyalty", [str(venv / "bin" / "pos-loyalty")], venv_files)]
    installed = venv / ".installed"
    if installed.exists() and installed.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        found.append(("./run app", [str(ROOT / "run"), "app"], venv_files))
    else:  # ./run would reinstall the venv first: not a start
        print("  (./run app left out: pyproject.toml is newer than the venv, ./run would reinstall it)")
    if bundle is not None and (bundle / "pos-loyalty").exists():
        found.append(("bundle", [str(bundle / "pos-loyalty")], [bundle]))
    else:
        print(f"  (no bundle at {bundle}: build one with --build-bundle DIR)")
    return found


def starts(out: Path, cards: int, runs: int, bundle: Path | None) -> bool:
    data = working_copy(out, cards)
    replica = data / FILE_NAME
    ready_file = Path(tempfile.mkdtemp(prefix="cold-start-")) / "ready"
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("POS_LOYALTY_") and k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    base.update({READY_FILE: str(ready_file), "POS_LOYALTY_OPERATOR": "bench"})
    till = ["--data-dir", str(data), "till", "--quit-after", QUIT_AFTER_S]
    found = launchers(bundle)
    rows: list[str] = []
    passed = True
    with x_screen() as display:
        screens = [("offscreen", {"QT_QPA_PLATFORM": "offscreen"})]
        screens += [("X (Xvfb)", {"DISPLAY": display})] if display else []
        for screen, extra in screens:
            env = {**base, **extra}
            print(f"{screen}, seconds from spawn to ready, each run:")
            bare = series("bare PySide6 window", [sys.executable, "-c", BARE_QT], env, runs, ready_file)
            baseline = statistics.median(s.seconds for s in bare) if bare else None
            if bare:
                rows.append(summary(f"{screen}: bare PySide6", bare, None, judged=False))
            for name, command, files in found:
                plans = [("", None)]
                if screen == "offscreen" and name != "./run app":
                    plans.append((" cold", lambda files=files: evict([replica, *files])))
                for cold, before in plans:
                    done = series(f"{name}{cold}", command + till, env, runs, ready_file, before)
                    passed = passed and done is not None
                    if done:
                        rows.append(summary(f"{screen}: {name}{cold}", done, baseline))
                        passed = passed and rows[-1].endswith("PASS")
    print(f"\n  {'':<34} {'min':>6} {'median':>6} {'max':>6}    ratio  RSS at ready  (target <= {TARGET_S} s, every run)")
    print("\n".join(rows))
    shutil.rmtree(ready_file.parent, ignore_errors=True)
    return passed


def build_bundle(folder: Path) -> Path:
    """PyInstaller with pos_loyalty.spec into `folder` (the shared dist/ is left alone)."""
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pyinstaller"), "--noconfirm", "--clean", "--distpath", str(folder),
         "--workpath", str(folder / "build"), str(ROOT / "pos_loyalty.spec")],
        cwd=ROOT, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise Failed(f"the bundle did not build: {done.stderr.strip()[-1000:]}")
    print(f"built the bundle in {folder / 'pos-loyalty'} in {time.monotonic() - started:.0f} s")
    return folder / "pos-loyalty"


# --- memory after many bills ------------------------------------------------------------


def memory(status: Path = Path("/proc/self/status")) -> tuple[float, float]:
    """VmRSS and VmHWM, in MB."""
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class _Keys:
    """What tests/counter_keys.py asks of pytest-qt's qtbot, from QtTest."""

    def __init__(self) -> None:
        from PySide6.QtTest import QTest

        self.keyClicks, self.keyClick = QTest.keyClicks, QTest.keyClick


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise Failed(f"timed out waiting for {what}")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
        time.sleep(0.0005)


def one_bill(keys: _Keys, window, number: str, redeem: bool) -> None:  # type: ignore[no-untyped-def]
    from counter_keys import answer_dialog, press, ring_up, scan

    screen = window.checkout
    scan(keys, window, number)
    wait_until(lambda: screen.card is not None and screen.card.card_number == number, f"card {number} on the bill")
    ring_up(keys, window, "1", "120.00")
    ring_up(keys, window, "2", "2x45.50")
    ring_up(keys, window, "4", "80")
    if redeem:
        press(window, "F5")
    if not screen.can_finalize():
        raise Failed(f"the bill of card {number} cannot be finalized: {screen.problems}")
    answer_dialog(lambda receipt: receipt.accept())
    press(window, "F12")
    wait_until(lambda: not screen.busy and not screen.draft.lines and screen.card is None, "the bill finalized")


def drive(bills: int, numbers: list[str], marks: dict[int, str], seen: list[tuple[str, float, float, int]],
          errors: list[BaseException]) -> None:
    """Ring up `bills` bills in the open counter app, then close it."""
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    try:
        keys = _Keys()
        seen.append(("window shown, no bill yet", *memory(), sys.getallocatedblocks()))
        started = time.monotonic()
        for index in range(bills):
            one_bill(keys, window, numbers[index], redeem=index % 2 == 1)
            if index + 1 in marks:
                seen.append((marks[index + 1], *memory(), sys.getallocatedblocks()))
        print(f"  {bills:,} bills in {time.monotonic() - started:.1f} s")
    except BaseException as error:  # said after the app closes (a box would wait for a click offscreen)
        errors.append(error)
    finally:
        window.close()


def _quiet_offscreen(_kind, _context, message: str) -> None:  # type: ignore[no-untyped-def]
    """Qt's messages, but not the offscreen platform's "does not support raise()" and the like."""
    if not message.startswith("This plugin does not support"):
        print(f"  Qt: {message}", file=sys.stderr)


def memory_marks(bills: int) -> dict[int, str]:
    """After which bills memory is read: 100, 250, 500, 1,000, then every 1,000, and the last."""
    counts = [n for n in (100, 250, 500) if n < bills] + list(range(1000, bills, 1000)) + [bills]
    return {count: f"after {count:,} bills" for count in counts}


def memory_run(data: Path, cards: int, bills: int) -> bool:
    """The counter app in this process (run by `memory_child`, so VmHWM is the app's own)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from ui import app

    chance = random.Random(16)
    numbers = [card_number(index) for index in chance.sample(range(cards), bills)]
    seen: list[tuple[str, float, float, int]] = []
    errors: list[BaseException] = []
    QApplication.instance() or QApplication(sys.argv[:1])
    qInstallMessageHandler(_quiet_offscreen)
    QTimer.singleShot(0, lambda: drive(bills, numbers, memory_marks(bills), seen, errors))
    code = app.run(data, "bench")
    if errors:
        raise errors[0]
    with sqlite3.connect(data / FILE_NAME) as db:
        written = db.execute("SELECT count(*) FROM bills").fetchone()[0]
    print(f"  the app closed with {code}; the replica holds {written:,} bills")
    print(f"  {'':<28} {'VmRSS':>8} {'VmHWM':>8}  Python heap blocks")
    for label, rss, hwm, blocks in seen:
        print(f"  {label:<28} {rss:6.1f} MB {hwm:6.1f} MB  {blocks:,}")
    if len(seen) > 2:
        (_, first, _, _), (_, hundred, _, hundred_blocks), (_, last, _, last_blocks) = seen[0], seen[1], seen[-1]
        later = bills - 100
        print(f"  from bill 100 to bill {bills:,}: {last - hundred:+.1f} MB ({(last - hundred) * 1024 / later:+.1f} KB"
              f" a bill), {last_blocks - hundred_blocks:+,} Python blocks; from the start: {last - first:+.1f} MB")
    return written == bills and code == 0


def memory_child(data: Path, cards: int, bills: int) -> bool:
    """`memory_run` in a process of its own: this one built and copied the replica."""
    sys.stdout.flush()
    done = subprocess.run(
        [sys.executable, __file__, "--memory-in", str(data), "--cards", str(cards), "--bills", str(bills)]
    )
    return done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=1_000_000, help="cards in the replica")
    parser.add_argument("--runs", type=int, default=5, help="starts of each kind")
    parser.add_argument("--bills", type=int, default=1000, help="bills rung up for the memory figure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "cold-start", help="cache and work folder")
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "pos-loyalty", help="the one-folder bundle")
    parser.add_argument("--build-bundle", type=Path, metavar="DIR", help="build the bundle into DIR first")
    parser.add_argument("--only", choices=("start", "memory"))
    parser.add_argument("--memory-in", type=Path, help=argparse.SUPPRESS)  # memory_child's process
    args = parser.parse_args()
    out = args.out.resolve()
    passed = True
    try:
        if args.memory_in:
            return 0 if memory_run(args.memory_in, args.cards, args.bills) else 1
        print(machine())
        print(f"load average before: {os.getloadavg()[0]:.2f} (other work on these cores makes every figure slower)")
        if args.only != "memory":
            bundle = build_bundle(args.build_bundle.resolve()) if args.build_bundle else args.bundle.resolve()
            print(f"\nStart on {args.cards:,} cards, {args.runs} runs each:")
            passed = starts(out, args.cards, args.runs, bundle)
        if args.only != "start":
            print(f"\nMemory of the counter app over {args.bills:,} bills (offscreen, a process of its own):")
            passed = memory_child(working_copy(out, args.cards), args.cards, args.bills) and passed
    except Failed as problem:
        print(f"FAILED: {problem}")
        return 1
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
