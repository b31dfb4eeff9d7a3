"""The reliability probe's findings (issue 12), each against a real server on SQLite and
PostgreSQL: the token is checked before the body is read, a body over 1 MiB is refused
unread, no input of any shape gets a 5xx, input the rules refuse is refused (naming the
field) with nothing written, and one device may not ask for card blocks or pages without end.
"""

from __future__ import annotations

import time

import pytest
import requests

from central_harness import body
from central import limits
from central_data import EARN, REDEEM, error, issue, written

CARDS = "/api/v1/cards"
CONFIG = "/api/v1/card-config"
TIERS = "/api/v1/card-config/tiers"
CATEGORIES = "/api/v1/card-config/categories"
PUSH = "/api/v1/sync/push"
BAD_JSON = '{"cardNumber": '

#: The routes that take a body, with the token each needs.
BODY_ROUTES = [
    ("POST", CARDS, "device"),
    ("PUT", CARDS + "/1", "device"),
    ("PUT", CONFIG, "admin"),
    ("PUT", TIERS, "admin"),
    ("POST", CATEGORIES, "admin"),
    ("POST", PUSH, "device"),
    ("POST", EARN, "device"),
]


def earn_body(number: str, **changes) -> dict:
    made = {
        "cardNumber": number,
        "billId": "B-1",
        "billAmount": "100.00",
        "items": [{"categoryId": 1, "amount": "100.00"}],
    }
    return made | changes


def raw(tenant, who: str, method: str, path: str, text: str | bytes) -> requests.Response:
    return getattr(tenant, who).request(method, path, text)


def refused(answer: requests.Response, field: str | None = None) -> dict:
    assert answer.status_code == 400, (answer.status_code, answer.text)
    problem = error(answer)
    assert problem["code"] == "INVALID_INPUT", problem
    if field is not None:
        assert field in (problem.get("field") or "") + problem["message"], problem
    return problem


# --- the token before the body ----------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "needs"), BODY_ROUTES)
def test_no_token_and_bad_json_is_401(tenant, method, path, needs):
    answer = raw(tenant, "anonymous", method, path, BAD_JSON)
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, needs in BODY_ROUTES if needs == "admin"])
def test_a_device_token_and_bad_json_on_an_admin_route_is_403(tenant, method, path):
    answer = raw(tenant, "device", method, path, BAD_JSON)
    assert answer.status_code == 403, answer.text


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_an_anonymous_huge_body_is_answered_unread(tenant, central_server):
    """300 MB sent without a token: 401 long before the body could have been read, and the
    server does not grow by the body's size."""
    before = _rss_kib(central_server.process.pid)
    chunk = b" " * (1 << 20)

    def stream():
        for _ in range(300):
            yield chunk

    started = time.monotonic()
    try:
        answer = requests.post(
            tenant.server.base + PUSH, data=stream(), headers={"Content-Type": "application/json"}, timeout=30
        )
        status = answer.status_code
    except requests.ConnectionError:
        status = None  # the server answered and closed while we were still sending: also fine
    assert status in (401, None)
    assert time.monotonic() - started < 20
    assert _rss_kib(central_server.process.pid) - before < 64 * 1024


@pytest.mark.parametrize(("method", "path", "needs"), BODY_ROUTES)
def test_a_body_over_1_mib_is_413(tenant, method, path, needs):
    text = '{"name": "' + "x" * (1024 * 1024) + '"}'
    answer = raw(tenant, needs, method, path, text)
    assert answer.status_code == 413, answer.text
    assert error(answer)["code"] == "PAYLOAD_TOO_LARGE"


def test_a_body_over_1_mib_without_content_length_is_413(tenant):
    def stream():
        yield b'{"mutations": ['
        for _ in range(2048):
            yield b" " * 1024
        yield b"]}"

    answer = tenant.device.session.post(tenant.server.base + PUSH, data=stream(), timeout=30)
    assert answer.status_code == 413, answer.text


# --- no 5xx, whatever the input ---------------------------------------------------------------


HUGE_EXPONENT = "1e999999999"
TINY_EXPONENT = "1e-999999999"
LONG_INTEGER = "9" * 4400


@pytest.mark.parametrize("number", [HUGE_EXPONENT, TINY_EXPONENT, "1e-400", LONG_INTEGER, "1" + "0" * 30])
@pytest.mark.parametrize("field", ["billAmount", "amount", "points"])
def test_numbers_no_decimal_can_hold_are_refused_naming_the_field(tenant, number, field):
    issue(tenant, "HX1", balance="500")
    before = written(tenant)
    if field == "points":
        text = f'{{"cardNumber": "HX1", "billId": "R-1", "billAmount": 100, "pointsToRedeem": {number}}}'
        path = REDEEM
    elif field == "amount":
        text = f'{{"cardNumber": "HX1", "billId": "E-1", "billAmount": 100, "items": [{{"categoryId": 1, "amount": {number}}}]}}'
        path = EARN
    else:
        text = f'{{"cardNumber": "HX1", "billId": "E-1", "billAmount": {number}, "items": [{{"categoryId": 1, "amount": 100}}]}}'
        path = EARN
    refused(tenant.device.post(path, text), field)
    assert written(tenant) == before


@pytest.mark.parametrize("field", ["defaultPointPercent", "maxRedemptionPercent", "pointsToAmountRate"])
def test_a_percent_or_rate_with_a_huge_exponent_is_refused(tenant, field):
    config = body(tenant.admin.get(CONFIG))
    text = tenant_config_text(config, field, HUGE_EXPONENT)
    refused(tenant.admin.put(CONFIG, text), field)
    assert body(tenant.admin.get(CONFIG)) == config


def tenant_config_text(config: dict, field: str, number: str) -> str:
    from pos_loyalty import jsonio

    return jsonio.dumps({**config, field: "NUMBER-HERE"}).replace('"NUMBER-HERE"', number)


def test_ids_too_large_for_the_database_are_refused(tenant):
    issue(tenant, "ID1", balance="500")
    before = written(tenant)
    refused(
        tenant.device.post(REDEEM, {"cardId": 10**30, "billId": "R-1", "billAmount": 100, "pointsToRedeem": 10}),
        "cardId",
    )
    refused(
        tenant.admin.post(CATEGORIES, {"categoryId": 10**30, "categoryName": "Big", "pointPercentage": 1}), "categoryId"
    )
    for path in (f"{CARDS}/{10**30}", f"{CARDS}/{2**63}/balance"):
        assert tenant.admin.get(path).status_code in (400, 404)
    assert written(tenant) == before


@pytest.mark.parametrize(("who", "path"), [("admin", "/api/v1/flags"), ("device", "/api/v1/sync/flags")])
@pytest.mark.parametrize("page", [str(2**63 - 1), str(10**30), "-1", "x"])
def test_any_page_number_is_answered_without_a_5xx(tenant, who, path, page):
    answer = getattr(tenant, who).get(path, params={"page": page})
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert error(answer)["code"] == "INVALID_INPUT"


def test_deep_nesting_is_refused(tenant):
    text = '{"cardNumber": "X", "billId": "D", "billAmount": 1, "items": ' + "[" * 5000 + "]" * 5000 + "}"
    refused(tenant.device.post(EARN, text))
    refused(tenant.admin.put(CONFIG, '{"x":' * 3000 + "1" + "}" * 3000))


# --- refused, not quietly changed ---------------------------------------------------------------


def test_tiers_null_is_refused_and_the_ladder_kept(tenant):
    tiers = body(tenant.admin.get(TIERS))
    refused(tenant.admin.put(TIERS, "null"), "tiers")
    refused(tenant.admin.put(TIERS, '{"tiers": []}'), "tiers")
    assert body(tenant.admin.get(TIERS)) == tiers


@pytest.mark.parametrize("digits", ["١٠٠", "１００", " 100 ", "100\n", "1\u00a000"])
def test_only_ascii_digits_are_numbers(tenant, digits):
    issue(tenant, "DG1", balance="500")
    before = written(tenant)
    refused(tenant.device.post(EARN, earn_body("DG1", billAmount=digits, items=[{"categoryId": 1, "amount": digits}])))
    refused(
        tenant.device.post(
            REDEEM, {"cardNumber": "DG1", "billId": "R-9", "billAmount": "500", "pointsToRedeem": digits}
        )
    )
    assert written(tenant) == before


@pytest.mark.parametrize("bill_id", ["abc\n", " abc", "abc ", "a\tb", "a\u0000b"])
def test_a_bill_id_is_taken_as_sent_or_refused(tenant, bill_id):
    issue(tenant, "BI1")
    before = written(tenant)
    refused(tenant.device.post(EARN, earn_body("BI1", billId=bill_id)), "billId")
    assert written(tenant) == before


def test_duplicate_keys_are_refused(tenant):
    issue(tenant, "DK1")
    before = written(tenant)
    text = '{"cardNumber": "DK1", "billId": "K-1", "billAmount": 100, "billAmount": 1, "items": [{"categoryId": 1, "amount": 100}]}'
    refused(tenant.device.post(EARN, text), "billAmount")
    assert written(tenant) == before


@pytest.mark.parametrize("name", ["\u0007\u0008\u001b", "Asha\u0000", "A\u202esha", "\u0085"])
def test_a_name_with_control_characters_is_refused(tenant, name):
    refused(tenant.device.post(CARDS, {"customerName": name, "customerPhone": "9123400001"}), "customerName")
    assert body(tenant.admin.get(CARDS))["content"] == []


def test_earn_items_must_add_up_to_the_bill(tenant):
    """Items of 100.00 on a bill of 1.00 (or the reverse) is a billing system's mistake: refused,
    so that neither the customer's points (from the items) nor the referrer's (from the bill)
    come from a figure that is not the bill."""
    issue(tenant, "REFA")
    issue(tenant, "SUM1", referrer="REFA")
    before = written(tenant)
    for amount in ("1.00", "100.01", "1000.00"):
        refused(tenant.device.post(EARN, earn_body("SUM1", billAmount=amount)), "billAmount")
    assert written(tenant) == before
    taken = tenant.device.post(
        EARN, earn_body("SUM1", items=[{"categoryId": 1, "amount": "60.00"}, {"categoryId": 2, "amount": "40.00"}])
    )
    assert taken.status_code == 200, taken.text


# --- what one device may ask for ----------------------------------------------------------------


def test_card_blocks_are_limited_per_device_with_retry_after(tenant):
    answers = [tenant.device.post("/api/v1/sync/card-blocks") for _ in range(6)]
    statuses = [a.status_code for a in answers]
    # The till's first block came with add-device: two more today, then 429.
    assert statuses == [201] * (limits.BLOCKS_PER_DAY - 1) + [429] * (7 - limits.BLOCKS_PER_DAY), statuses
    limited = answers[-1]
    assert error(limited)["code"] == "TOO_MANY_REQUESTS"
    assert 0 < int(limited.headers["Retry-After"]) <= 24 * 3600
    assert tenant.new_device("Counter 2").post("/api/v1/sync/card-blocks").status_code == 201


def test_pages_are_limited_per_device_with_retry_after(tenant):
    statuses = []
    for _ in range(400):
        answer = tenant.device.get("/api/v1/sync/pull", params={"cursor": "0", "limit": 1})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert error(answer)["code"] == "TOO_MANY_REQUESTS"
            assert int(answer.headers["Retry-After"]) >= 1
            break
    assert statuses[-1] == 429 and len(statuses) > 50, statuses[-3:]
    assert set(statuses[:-1]) == {200}
