"""A partial return at the till against a finalize of a comparable bill, in the same run.

    .venv/bin/python bench/bench_returns.py [--cards N] [--returns N] [--out DIR]

On the benchmark replica of N cards (`till_replica.py`, as `bench_till.py` uses it), first
finalizes (untimed) one 10-line bill per return to come: 100 points redeemed on a referred
card, so each bill has REDEEMED, EARNED per category and the referrer's REFERRAL_EARNED
rows. Then, alternating, times:

- a durable finalize of another such bill (`bills.finalize`, as `bench_till.py` times it);
- a durable partial return of one of the sold bills: half of its first line and all of its
  second, through `returns.return_lines`, the call `pos-loyalty bill return` and the
  counter's return dialog make once the lines are chosen (the bill's earlier state read,
  the REVERSED rows against its EARNED, REDEEMED and REFERRAL_EARNED rows, both cards,
  the return's record and its `bill.returned` outbox row, in one BEGIN IMMEDIATE).

The WAL is checkpointed between customers, untimed, as the till does. Prints p50/p99, the
ratio and PASS/FAIL against issue 13's target (a return within 2x of a finalize, at p50
and at p99); exits 1 on a miss. Nothing here is a test: pytest never runs it.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_till import Timings, machine, make_bill, timed  # noqa: E402
from till_replica import SEED, bare_connection, redeeming_cards, working_copy  # noqa: E402

from pos_loyalty.rules.returns import ReturnLineAsk  # noqa: E402
from pos_loyalty.services import bills, open_replica, returns  # noqa: E402

MAX_RATIO = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=1_000_000, help="cards in the replica")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="cache and work folder")
    parser.add_argument("--returns", type=int, default=2_000, help="returns (and as many finalizes)")
    args = parser.parse_args()

    replica = open_replica(working_copy(args.out.resolve(), args.cards))
    db = bare_connection(replica.path)
    redeeming = redeeming_cards(db)
    db.close()
    print(machine())
    print(f"{args.cards:,} cards, {len(redeeming):,} of them referred and holding 1,000+ points")

    chance = random.Random(SEED + 13)
    requests = [make_bill(10, chance) for _ in range(50)]
    count = args.returns
    sold = [f"sold-{i}" for i in range(count)]
    for i, bill_id in enumerate(sold):  # the bills that come back, sold before the run
        bills.finalize(
            replica, chance.choice(redeeming), requests[i % len(requests)], bill_id=bill_id, performed_by="bench"
        )
    replica.checkpoint()
    picks = [chance.choice(redeeming) for _ in range(count)]
    print(f"{count:,} bills of 10 lines sold (untimed), one for each return")

    def asks(i: int) -> list[ReturnLineAsk]:
        half = requests[i % len(requests)].lines[0].gross // 2
        return [ReturnLineAsk(0, amount=half), ReturnLineAsk(1)]

    answers = []

    def finalize(i: int) -> None:
        bills.finalize(replica, picks[i], requests[i % len(requests)], bill_id=f"core-{i}", performed_by="bench")

    def give_back(i: int) -> None:
        answers.append(returns.return_lines(replica, sold[i], asks(i), performed_by="bench"))

    warmup = max(count // 20, 1)
    final_ns, return_ns = timed([finalize, give_back], count - warmup, warmup, between=replica.checkpoint)
    replica.close()

    sample = answers[-1]
    print(
        f"each return writes {len(sample['rows'])} ledger rows (e.g. cash back {sample['cashRefund']},"
        f" points back {sample['pointsRefunded']}, off {sample['pointsReversed']},"
        f" referrer's off {sample['referrerPointsReversed']}), 2 cards, its record, an outbox row, a counter"
    )
    final, back = Timings("finalize, 10 lines", final_ns), Timings("partial return (2 of 10 lines)", return_ns)
    ratios = (back.p50 / final.p50, back.p99 / final.p99)
    passed = max(ratios) <= MAX_RATIO
    print()
    print("| operation | p50 | p99 |")
    print("|---|---:|---:|")
    for timings in (final, back):
        print(f"| {timings.name} | {timings.p50:,.0f} µs | {timings.p99:,.0f} µs |")
    print(f"| ratio return / finalize | {ratios[0]:.2f}× | {ratios[1]:.2f}× |")
    print()
    print(f"target: a return within {MAX_RATIO:.0f}× of a finalize at p50 and p99: {'PASS' if passed else 'FAIL'}")
    for label, timings in (("finalize", final), ("return", back)):
        tail = ", ".join(f"p{share:g} {timings.percentile(share / 100) / 1000:.2f} ms" for share in (50, 90, 99))
        print(f"  {label}: {tail}, max {max(timings.samples) / 1e6:.2f} ms")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
