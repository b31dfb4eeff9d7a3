"""The till's own inputs, fuzzed: whatever a person (or a script) types on the command line
or puts in a configuration file, `pos-loyalty` exits 0 (done) or 2 (a user error), never 1
(1 is a bug or the machine), and a refusal leaves the replica exactly as it was.

Each example runs the real `main()` in this process on one till (cards with points, a
bill, a reversed bill), so hundreds of examples fit in the default run; the `slow`
variant runs many more. A failing example names the command line it ran. What it found
(each now has a test of its own too): `--item ²:100` and `bill list --limit 2**63` were
internal errors (exit 1), and so was a configuration file with `1e999999999`, a
4,400-digit number or 3,000 levels of nesting.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from pos_loyalty import jsonio
from pos_loyalty.services import bills, cards, open_replica
from replica_audit import ReplicaAudit
from support import SEED_EXAMPLE, make_bill

EXAMPLES = 400  # per family (bills, cards, configuration files) in the default run: about 35 s in all
MANY = 2_000  # per family, with -m slow

# --- the till the examples run on -----------------------------------------------------------


@pytest.fixture(scope="module")
def till(tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("fuzzed") / "till"
    replica = open_replica(folder)
    referrer = cards.issue(replica, name="Bina Referrer", phone="9000000001").card_number
    customer = cards.issue(replica, name="Asha Customer", phone="9000000002", referrer=referrer).card_number
    cards.adjust(replica, customer, "1000.00", reason="opening balance")
    bills.finalize(replica, customer, make_bill((2, "100.00")), bill_id="DONE")
    bills.finalize(replica, customer, make_bill((1, "50.00")), bill_id="UNDONE")
    bills.reverse(replica, "UNDONE")
    replica.close()
    return {"data_dir": folder, "cards": [customer, referrer], "bills": ["DONE", "UNDONE"]}


@pytest.fixture
def in_scratch_folder(tmp_path, monkeypatch):
    """Relative paths an example may name land here, never in the clone."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(data_dir: Path, args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--data-dir", str(data_dir), *args])
        except SystemExit as done:  # argparse's own --help / --version
            code = done.code if isinstance(done.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def check(till: dict[str, object], args: list[str]) -> None:
    """Exit 0 or 2; on 2 the replica is as it was, and a sentence says why."""
    data_dir = till["data_dir"]
    audit = ReplicaAudit(Path(data_dir) / "replica.sqlite3")
    before = audit.dump()
    code, out, err = invoke(data_dir, args)
    assert code in (0, 2), f"exit {code} for pos-loyalty {args!r}: {err.strip()[:500]}"
    if code == 2:
        assert audit.dump() == before, f"pos-loyalty {args!r} refused but changed the replica"
        assert err.strip() and "Traceback" not in err, args
    audit.check()  # whatever was done, balances still equal their ledgers, the outbox has no gap


# --- what people type ------------------------------------------------------------------------

#: Values a person or a script might give, and the forms that broke other programs.
ODD = [
    "", " ", "0", "-0", "00", "+5", ".5", "5.", "1.234", "-1", "100", "100.00", " 100 ", "\t100\n",
    "1e5", "1E999999999", "1e-999999999", "9" * 31, "9" * 5000, "1_000", "0x10", "1/2", "NaN", "inf", "-inf",
    "١٠٠", "１００", "²", "٣.٥", "१००", "1,000", "1 000", "₹100", "100%", "2x", "x2", "2x125", "2×125", "*",
    "2900001000017", "2900001000018", "abc", "null", "true", "[]", "{}", "'", '"', "\\", "\u202e100", "\x7f",
    "a" * 300, str(2**31), str(2**63), str(10**20),
]
#: Negative numbers are values to argparse; anything else with a leading dash is an option.
_NEGATIVE = re.compile(r"-\d+$|-\d*\.\d+$")


def _as_value(text: str) -> bool:
    return "\x00" not in text and (not text.startswith("-") or bool(_NEGATIVE.match(text)))


#: Whole numbers at the edges: SQLite's 64 bits, Python's 4,300-digit limit, a counter's 32 bits.
EDGES = [0, 1, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**11, 10**11 + 1, 10**20, 10**30]

typed = st.one_of(
    st.sampled_from(ODD),
    st.sampled_from(ODD),  # twice: the odd forms are where the bugs were
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.one_of(st.sampled_from(EDGES), st.integers(-(10**40), 10**40)).map(str),
).filter(_as_value)

count = st.one_of(st.sampled_from(EDGES).map(str), typed)  # --limit N


def known_or_typed(till_key: str):  # type: ignore[no-untyped-def]
    return st.one_of(st.sampled_from(["{%s0}" % till_key, "{%s1}" % till_key]), typed)


def mostly(good, odd, one_in: int = 6):  # type: ignore[no-untyped-def]
    """`good`, but one time in `one_in` `odd`: each example has few odd parts, so it gets
    past the first check and meets the odd one deeper in."""
    return st.integers(1, one_in).flatmap(lambda n: odd if n == 1 else good)


#: Figures a till really sees, so that most bills get past the first check and the odd
#: value is met deeper in (a redemption, a discount, a bill id, a quantity).
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2).map(str)
plausible = st.one_of(money, st.sampled_from(["100", "250.00", "0.01", "1000", "99999.99"]))
figure = mostly(plausible, typed)


def item() -> st.SearchStrategy[str]:
    category = mostly(st.sampled_from(["1", "2", "3", "4"]), st.one_of(st.sampled_from(["77", " 2 ", "0"]), typed))
    quantity = mostly(st.sampled_from(["1", "2", "0.5", "3.25", "1000000", "0.001"]), typed)
    amount = st.one_of(
        figure,
        st.builds(lambda q, sep, p: f"{q}{sep}{p}", quantity, mostly(st.just("x"), st.sampled_from(["X", "*", " x ", "xx", "×"])), figure),
    )
    separator = mostly(st.just(":"), st.sampled_from(["::", " : ", "", ";"]))
    return st.builds(lambda c, sep, a: f"{c}{sep}{a}", category, separator, amount)


@st.composite
def bill_args(draw) -> list[str]:  # type: ignore[no-untyped-def]
    args = ["bill", draw(st.sampled_from(["quote", "finalize"]))]
    if draw(st.integers(0, 3)):
        args += ["--card", draw(mostly(st.sampled_from(["{card0}", "{card1}"]), typed))]
    for line in draw(st.lists(item(), min_size=draw(st.sampled_from([0, 1, 1, 1])), max_size=4)):
        args += ["--item", line]
    if draw(st.booleans()):
        args += ["--redeem", draw(mostly(st.sampled_from(["100", "100.00", "150.50", "10", "1000"]), figure))]
    if draw(st.booleans()):
        args += ["--flat-discount", draw(figure)]
    if args[1] == "finalize" and draw(st.booleans()):
        args += ["--bill-id", draw(st.one_of(known_or_typed("bill"), st.sampled_from(["B-1", "abc\n", "12345", "a" * 65])))]
    return args


@st.composite
def card_args(draw) -> list[str]:  # type: ignore[no-untyped-def]
    card = draw(mostly(st.sampled_from(["{card0}", "{card1}"]), typed))
    action = draw(st.sampled_from(["adjust", "show", "history", "find", "issue", "update", "reverse", "list"]))
    if action == "adjust":
        return ["card", "adjust", card, draw(st.one_of(figure, st.just("-5"))), "--reason", draw(st.one_of(typed, st.just("goodwill")))]
    if action == "show":
        return ["card", "show", card]
    if action == "history":
        return ["card", "history", card, "--limit", draw(count)]
    if action == "find":
        return ["card", "find", "--phone", draw(st.one_of(typed, st.just("9000000002")))]
    if action == "issue":
        phone = st.one_of(st.integers(6_000_000_000, 9_999_999_999).map(str), st.sampled_from(["+91 98450 12345"]), typed)
        args = ["card", "issue", "--name", draw(st.one_of(st.just("Ravi Kumar"), typed)), "--phone", draw(phone)]
        for option in ("--email", "--referrer", "--number", "--customer-id"):
            if draw(st.booleans()):
                args += [option, draw(known_or_typed("card") if option in ("--referrer", "--number") else typed)]
        return args
    if action == "update":
        args = ["card", "update", card]
        for option in ("--name", "--phone", "--email"):
            if draw(st.booleans()):
                args += [option, draw(typed)]
        return args + draw(st.sampled_from([[], ["--inactive"], ["--active"]]))
    if action == "reverse":
        return ["bill", "reverse", draw(known_or_typed("bill"))]
    return ["bill", "list", "--limit", draw(count)]


# --- configuration documents of every shape -----------------------------------------------------

FIELDS = [
    "isEnabled", "pointsToAmountRate", "maxRedemptionPercent", "referralPointsPercent", "minPointsToRedeem",
    "offlineGraceSeconds", "offlineRedemptionLimitPoints", "categoryPointConfigs", "categoryDiscounts", "tiers",
    "version", "tenantId", "promotions", "rewards", "pointsExpiryDays",
]
ENTRY_FIELDS = [
    "categoryId", "categoryName", "pointPercentage", "discountPercentage", "isActive", "id",
    "name", "minLifetimePoints", "earnMultiplier", "maxRedemptionPercent",
]
number = st.one_of(
    st.integers(-(10**35), 10**35),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([Decimal("0"), Decimal("100"), Decimal("100.01"), Decimal("0.0001"), 2**31, 2**63, 10**30]),
)
scalar = st.one_of(st.none(), st.booleans(), number, typed)
json_value = st.recursive(
    scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(typed, inner, max_size=3)), max_leaves=8
)
entry = st.dictionaries(st.sampled_from(ENTRY_FIELDS), st.one_of(scalar, json_value), max_size=6)
field_value = st.one_of(scalar, st.lists(entry, max_size=4), json_value)
SEED = jsonio.loads(SEED_EXAMPLE)
TIERS = [{"name": "Silver", "minLifetimePoints": 0}, {"name": "Gold", "minLifetimePoints": 1000, "earnMultiplier": Decimal("1.5")}]


@st.composite
def near_valid(draw) -> dict:  # type: ignore[no-untyped-def]
    """Seed 002's configuration (with tiers), part of it or all, with one or two parts odd."""
    document = {**SEED, "tiers": TIERS}
    document = {key: value for key, value in document.items() if draw(st.integers(0, 3))}  # some left out
    for _ in range(draw(st.integers(1, 2))):
        key = draw(st.sampled_from(FIELDS))
        lists = ("categoryPointConfigs", "categoryDiscounts", "tiers")
        if key in lists and isinstance(document.get(key), list) and document[key] and draw(st.booleans()):
            entries = [dict(entry) for entry in document[key]]
            index = draw(st.integers(0, len(entries) - 1))
            entries[index][draw(st.sampled_from(ENTRY_FIELDS))] = draw(st.one_of(scalar, number))
            document[key] = entries
        else:
            document[key] = draw(field_value)
    return document


document = st.one_of(
    near_valid(),
    near_valid(),
    st.dictionaries(st.sampled_from(FIELDS), field_value, max_size=6),
    st.dictionaries(typed, json_value, max_size=3),
    json_value,
)
#: Raw texts the JSON writer would never make: exponents, long digits, keys twice, deep nesting.
RAW = [
    '{"maxRedemptionPercent": 1e999999999}', '{"maxRedemptionPercent": 1E-999999999}',
    '{"minPointsToRedeem": ' + "7" * 4400 + "}", '{"isEnabled": true, "isEnabled": false}',
    "[" * 3000 + "]" * 3000, '{"tiers": ' + "[" * 40 + "]" * 40 + "}", "", "   ", "\ufeff{}", "{", "nul",
    '{"categoryPointConfigs": [{"categoryId": 1e3, "categoryName": "M", "pointPercentage": 1}]}',
    '{"categoryPointConfigs": [{"categoryId": 1.0, "categoryName": "M", "pointPercentage": 1}]}',
    '{"categoryPointConfigs": [{"categoryId": -0, "categoryName": "M", "pointPercentage": -0.0}]}',
    '{"pointsToAmountRate": 0.00001}', '{"offlineGraceSeconds": 31622401}', '{"tiers": [{"name": "\\u0000"}]}',
]


def written(value: object) -> str:
    return jsonio.dumps(value) if not isinstance(value, str) else json.dumps(value)


config_text = st.one_of(document.map(written), st.sampled_from(RAW))


# --- the tests -------------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def filled(till: dict[str, object], args: list[str]) -> list[str]:
    names = {f"card{i}": number for i, number in enumerate(till["cards"])}
    names |= {f"bill{i}": bill for i, bill in enumerate(till["bills"])}
    return [re.sub(r"\{(card|bill)(\d)\}", lambda m: names[m[1] + m[2]], arg) for arg in args]


@FUZZ
@given(args=bill_args())
def test_bill_arguments_exit_0_or_2_and_a_refusal_changes_nothing(till, in_scratch_folder, args):
    check(till, filled(till, args))


@FUZZ
@given(args=card_args())
def test_card_arguments_exit_0_or_2_and_a_refusal_changes_nothing(till, in_scratch_folder, args):
    check(till, filled(till, args))


@FUZZ
@given(text=config_text)
def test_config_import_of_any_document_exits_0_or_2_and_a_refusal_changes_nothing(till, in_scratch_folder, text):
    source = in_scratch_folder / "fuzzed.json"
    source.write_text(text, encoding="utf-8")
    check(till, ["config", "import", str(source), "--json"])


@pytest.mark.slow
@settings(FUZZ, max_examples=MANY)
@given(args=st.one_of(bill_args(), card_args()))
def test_many_more_arguments(till, in_scratch_folder, args):
    check(till, filled(till, args))


@pytest.mark.slow
@settings(FUZZ, max_examples=MANY)
@given(text=config_text)
def test_many_more_config_documents(till, in_scratch_folder, text):
    source = in_scratch_folder / "fuzzed.json"
    source.write_text(text, encoding="utf-8")
    check(till, ["config", "import", str(source), "--json"])
