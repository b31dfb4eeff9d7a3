"""The sync protocol's decisions, as pure functions: no network, no clock, no replica.

`classify` turns an HTTP status into what the daemon does next; `Backoff` is the
capped exponential schedule with full jitter, honouring the server's Retry-After
(`pos_loyalty/backoff.py`, which the central service's webhook deliveries share).
"""

from __future__ import annotations

from enum import Enum

from pos_loyalty.backoff import Backoff, retry_after_seconds  # noqa: F401 (shared with the central's webhooks)

#: Mutations per push, cards per page. A page is one replica transaction: small enough
#: that a cashier's finalize never waits long for it.
PUSH_BATCH = 200
#: Bytes per push, at most (past its first mutation, which always goes): half the central
#: service's 1 MiB body limit (`central-api.md`, Every request), so a push is never refused
#: as too large. Twenty of the largest bills (1,000 lines, about 215 kB each) would be 4 MB.
PUSH_BYTES = 512 * 1024
PULL_PAGE = 1000
BOOTSTRAP_PAGE = 5000


class Next(Enum):
    OK = "ok"  # use the answer
    RESEND_FROM = "resend_from"  # 409: the server wants an earlier (or later) deviceSeq
    RESTART_PULL = "restart_pull"  # 410: pull again from cursor 0
    RETRY = "retry"  # network trouble, 429, 5xx: wait, then the same again
    STOP = "stop"  # 401/403: the token is refused; wait for a person
    BROKEN = "broken"  # any other answer: this till and the server disagree on the protocol


def classify(status: int) -> Next:
    if status == 200:
        return Next.OK
    if status == 409:
        return Next.RESEND_FROM
    if status == 410:
        return Next.RESTART_PULL
    if status in (401, 403):
        return Next.STOP
    if status in (408, 425, 429) or status >= 500:
        return Next.RETRY
    return Next.BROKEN


def _is_seq(value: object) -> bool:
    """A deviceSeq position as the server states it: a whole number from 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def resend_position(last_applied_seq: object) -> int:
    """Where to push from after a 409: the server's `lastAppliedSeq` + 1.

    A 409 means our batch started past the server's next number: the server has lost
    mutations it once acknowledged (restored from an older backup), so those go again,
    from the acknowledged ones kept in the outbox.
    """
    if not _is_seq(last_applied_seq):
        raise ValueError(f"a 409 without a usable lastAppliedSeq ({last_applied_seq!r})")
    return last_applied_seq + 1


def push_answer_problem(body: object, sent: list[int]) -> str | None:
    """What is wrong with a 200 answer to a push of the deviceSeqs `sent`; None if nothing.

    A 200 that is not a push answer (a Wi-Fi login page, a proxy's error page, a half
    answer) must not be taken for one: the round fails and is tried again later.
    """
    if not isinstance(body, dict):
        return "the central service's answer to a push is not a push answer (a login page or a proxy in the way?)"
    results, last = body.get("results"), body.get("lastAppliedSeq")
    if not isinstance(results, list) or not _is_seq(last):
        return "the central service's answer to a push lacks its results or lastAppliedSeq"
    expected = set(sent)
    for result in results:
        if not isinstance(result, dict) or result.get("deviceSeq") not in expected or not isinstance(result.get("status"), str):
            return f"the central service answered a push with a result for no mutation it was sent: {str(result)[:80]}"
    if len(results) != len(sent):
        return f"the central service answered {len(results)} of the {len(sent)} mutations pushed"
    return None


def pull_page_problem(body: object) -> str | None:
    """What is wrong with a 200 answer to a pull, at a glance (the replica checks the rest)."""
    if not isinstance(body, dict):
        return "the central service's answer to a pull is not a page of changes (a login page or a proxy in the way?)"
    if not isinstance(body.get("changes"), list) or not isinstance(body.get("hasMore"), bool):
        return "the central service's answer to a pull lacks its changes or hasMore"
    if body["hasMore"] and not isinstance(body.get("cursor"), str | int):
        return "the central service's answer to a pull has more to come but no cursor"
    return None
