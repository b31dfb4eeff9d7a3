"""Merging two cards of one customer: the kept card's referrer and customer id."""

from __future__ import annotations

import pytest

from pos_loyalty.rules.merge import Links, merged_links

KEEP, OTHER = 1, 2


@pytest.mark.parametrize(
    ("kept", "merged", "expected"),
    [
        (Links(7, "C-1"), Links(8, "C-2"), Links(7, "C-1")),  # the kept card's own stay
        (Links(None, None), Links(8, "C-2"), Links(8, "C-2")),  # it takes what it lacks
        (Links(OTHER, None), Links(8, None), Links(8, None)),  # the other referred it: its referrer instead
        (Links(OTHER, None), Links(None, None), Links(None, None)),  # ... or nobody
        (Links(None, None), Links(KEEP, None), Links(None, None)),  # never itself as its referrer
    ],
)
def test_the_kept_card_keeps_its_own_and_takes_what_it_lacks(kept, merged, expected):
    assert merged_links(KEEP, kept, OTHER, merged) == expected
