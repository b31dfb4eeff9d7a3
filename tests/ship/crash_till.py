"""A till that rings up bills until it is killed, for `test_crash_consistency.py`.

    python crash_till.py DATA_DIR SEED   one till: `pos-loyalty till` on DATA_DIR, offscreen
    python crash_till.py --zygote        many: fork one till per request (see `Zygote`)

The till is the real counter app, started the way `pos-loyalty till` starts it
(`cli.main.main`: the log, `ui.app.run`, the window, the crash hooks). A driver inside its
event loop works the checkout screen as scanner and cashier do: scan a card (or none),
enter one to three lines, redeem the most allowed or 100 points (or nothing), press
Finalize. It prints to stdout, flushed, one line per step:

    ready                the window is up; bills follow
    finalizing BILL_ID   Finalize was pressed (the bill's id is fixed when it begins)
    finalized BILL_ID    the receipt's moment: the commit returned and the till said so
    skipped              the bill could not be finalized as rung up (nothing written)

Every 25 bills it checkpoints the replica, as an idle till does. A dialog opening (a
refusal, a crash box) means something went wrong: it prints `dialog: TEXT` and exits 3.
A till still running after two minutes (its test was interrupted) exits 5.
The receipt dialog is left out: printing is not part of what is on disk.

Starting Python, Qt and SQLAlchemy takes most of a second; the zygote imports them once
and forks a fresh till per line `DATA_DIR<TAB>OUT_FILE<TAB>SEED` on stdin (it answers the
till's pid), and `wait PID` answers the till's wait status once it has ended.
"""

from __future__ import annotations

import os
import random
import sys
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project, when run as a script

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import cli.main  # noqa: E402
import pos_loyalty.services  # noqa: E402, F401  (imported once, in the zygote)
import ui.app  # noqa: E402, F401
from ui.bill_draft import Line  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

CHECKPOINT_EVERY = 25
LIFETIME_MS = 120_000  # a till nobody killed (the test was interrupted) stops by itself


class Driver:
    def __init__(self, window: MainWindow, seed: int) -> None:
        self.window, self.screen = window, window.checkout
        self.chance = random.Random(seed)
        self.count = 0
        with window.replica.reading() as uow:
            self.numbers = list(uow.connection.exec_driver_sql("SELECT card_number FROM cards").scalars())
        window.checkout.finalized.disconnect(window.show_receipt)
        window.checkout.finalized.connect(self.finalized)
        self.watch = QTimer(window, interval=50, timeout=self.no_dialogs)
        self.watch.start()
        QTimer.singleShot(LIFETIME_MS, lambda: os._exit(5))
        say("ready")
        QTimer.singleShot(0, self.next_bill)

    def next_bill(self) -> None:
        screen, chance = self.screen, self.chance
        number = chance.choice([*self.numbers, None])
        if number is not None:
            screen.scanned(number)  # what a scanner delivers
        for _ in range(chance.randint(1, 3)):
            amount = Decimal(chance.randint(1_000, 300_000)).scaleb(-2)
            screen.entry.line_entered.emit(Line(chance.randint(1, 4), amount))
        if screen.card is not None:
            roll = chance.random()
            if roll < 0.35:
                screen.totals.max_button.click()  # F5: the most this bill allows
            elif roll < 0.6:
                screen.totals.redeem_changed.emit("100")
            if not screen.can_finalize():  # too few points, or under the minimum: no redemption
                screen.totals.redeem_changed.emit("")
        if not screen.can_finalize():
            say("skipped")
            screen.new_bill()
            QTimer.singleShot(0, self.next_bill)
            return
        say(f"finalizing {screen.draft.bill_id}")
        screen.totals.finalize.click()

    def finalized(self, result: dict, _card: object) -> None:
        say(f"finalized {result['billId']}")
        self.count += 1
        if self.count % CHECKPOINT_EVERY == 0:
            self.window.replica.checkpoint()
        QTimer.singleShot(0, self.next_bill)

    def no_dialogs(self) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            text = getattr(dialog, "text", lambda: dialog.windowTitle())()
            say(f"dialog: {text}")
            os._exit(3)


def say(line: str) -> None:
    print(line, flush=True)


def till(data_dir: str, seed: int) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])

    def start() -> None:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        app.driver = Driver(window, seed)  # kept alive by the application

    QTimer.singleShot(0, start)
    return cli.main.main(["--data-dir", data_dir, "--operator", f"till-{seed}", "till"])


class Zygote:
    """Forks tills from a process that has imported everything already (no Qt app, no files)."""

    def serve(self) -> None:
        for line in sys.stdin:
            words = line.rstrip("\n").split("\t")
            if words[0].startswith("wait "):
                _, status = os.waitpid(int(words[0].split()[1]), 0)
                answer = str(status)
            else:
                answer = str(self.fork(words[0], words[1], int(words[2])))
            sys.stdout.write(answer + "\n")
            sys.stdout.flush()

    @staticmethod
    def fork(data_dir: str, out_file: str, seed: int) -> int:
        sys.stdout.flush()
        pid = os.fork()
        if pid:
            return pid
        try:  # the till: its output to its own file, nothing from the zygote's pipes
            out = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            code = till(data_dir, seed)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 4
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    if sys.argv[1:] == ["--zygote"]:
        Zygote().serve()
    else:
        sys.exit(till(sys.argv[1], int(sys.argv[2])))
