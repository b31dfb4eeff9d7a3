"""One till process for `test_two_processes.py`: `python till_process.py PLAN RESULT`.

The plan (JSON) names the data dir, a start barrier (this process creates its `ready`
file, then waits for the `go` file) and a list of actions. Each action's outcome is
recorded, errors included, so the test can show exactly what a process saw; the
results are written as JSON to RESULT, with the wall-clock times (`time.time()`, as
text) at which the process started and finished its actions.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from pos_loyalty import jsonio
from pos_loyalty.errors import LoyaltyError
from pos_loyalty.rules import bill_from_json
from pos_loyalty.services import bills, cards, open_replica

BARRIER_TIMEOUT_S = 120


def wait_for_go(ready: Path, go: Path) -> None:
    ready.touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT_S
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the other processes never got ready")
        time.sleep(0.0005)


def run(action: dict, replica) -> dict:  # type: ignore[no-untyped-def]
    kind = action["do"]
    if kind == "finalize":
        done = bills.finalize(
            replica,
            action.get("cardNumber"),
            bill_from_json(action["bill"]),
            bill_id=action["billId"],
            performed_by=action.get("performedBy"),
        )
        return {"result": done.result, "replayed": done.replayed}
    if kind == "adjust":
        shown = cards.adjust(replica, action["cardNumber"], action["points"], reason="test")
        return {"result": shown.to_json()}
    if kind == "issue":
        shown = cards.issue(replica, name=action["name"], phone=action["phone"])
        return {"result": shown.to_json()}
    raise ValueError(f"unknown action {kind!r}")


def main(plan_path: str, result_path: str) -> None:
    plan = jsonio.loads(Path(plan_path).read_text())
    outcomes: list[dict] = []
    window: dict[str, str] = {}
    replica = None
    try:
        if not plan.get("openAfterBarrier"):
            replica = open_replica(plan["dataDir"])
        wait_for_go(Path(plan["ready"]), Path(plan["go"]))
        window["startedAt"] = repr(time.time())
        if replica is None:
            try:
                replica = open_replica(plan["dataDir"])
            except Exception:
                outcomes.append({"action": {"do": "open"}, "error": traceback.format_exc()})
                return
        for action in plan["actions"]:
            try:
                outcomes.append({"action": action, **run(action, replica)})
            except LoyaltyError as error:
                outcomes.append({"action": action, "error": f"{error.code}: {error.message}"})
            except Exception:  # an environment error (database is locked) or a bug
                outcomes.append({"action": action, "error": traceback.format_exc()})
        window["endedAt"] = repr(time.time())
    finally:
        if replica is not None:
            replica.close()
        Path(result_path).write_text(jsonio.dumps({"outcomes": outcomes, **window}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
