"""The sync protocol's decisions, without a network: answers, backoff, resend position."""

import random

import pytest

from sync.protocol import Backoff, Next, classify, resend_position, retry_after_seconds


@pytest.mark.parametrize(
    "status, step",
    [
        (200, Next.OK), (409, Next.RESEND_FROM), (410, Next.RESTART_PULL),
        (401, Next.STOP), (403, Next.STOP),
        (429, Next.RETRY), (500, Next.RETRY), (502, Next.RETRY), (503, Next.RETRY), (504, Next.RETRY), (408, Next.RETRY),
        (400, Next.BROKEN), (404, Next.BROKEN), (422, Next.BROKEN),
    ],
)
def test_every_answer_has_one_meaning(status, step):
    assert classify(status) is step


def test_backoff_grows_exponentially_to_its_cap_with_full_jitter():
    rng = random.Random(7)
    ceilings = []
    for attempt in range(10):
        backoff = Backoff(base=1.0, cap=60.0, failures=attempt)
        samples = [Backoff(base=1.0, cap=60.0, failures=attempt).next_delay(rng) for _ in range(400)]
        ceilings.append(min(60.0, 2.0**attempt))
        assert all(0 <= s <= ceilings[-1] for s in samples)
        # full jitter: spread over the whole range, not bunched at the top
        assert min(samples) < ceilings[-1] * 0.1 and max(samples) > ceilings[-1] * 0.9
        assert backoff.failures == attempt
    assert ceilings[-1] == 60.0


def test_backoff_counts_failures_and_resets():
    backoff, rng = Backoff(), random.Random(1)
    for _ in range(5):
        backoff.next_delay(rng)
    assert backoff.failures == 5
    backoff.reset()
    assert backoff.failures == 0


def test_retry_after_is_never_undercut():
    rng = random.Random(3)
    assert all(Backoff().next_delay(rng, retry_after=7.0) >= 7.0 for _ in range(200))


@pytest.mark.parametrize("header, seconds", [("5", 5.0), (" 2.5 ", 2.5), ("0", 0.0), (None, None), ("soon", None), ("-3", None),
                                             ("Wed, 21 Oct 2026 07:28:00 GMT", None)])
def test_retry_after_header(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_after_a_409_the_till_pushes_from_the_servers_next_number():
    assert resend_position(41) == 42
    assert resend_position(0) == 1
    for broken in (None, -1, "41", True):
        with pytest.raises(ValueError):
            resend_position(broken)
