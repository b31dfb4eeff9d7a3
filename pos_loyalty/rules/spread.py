"""Largest-remainder spreading of an amount over bill lines, in minor units."""

from __future__ import annotations

from collections.abc import Sequence


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` in proportion, so the shares sum to `total` exactly.

    Each line first gets floor(total x weight / sum); the units left over go one each to
    the lines with the largest remainders, earlier lines first on a tie
    (`spec/loyalty-rules.md` steps 2 and 4). All numbers are non-negative integers.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("spread takes non-negative figures")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise ValueError("cannot spread a non-zero amount over lines worth nothing")
        return [0] * len(weights)
    shares = []
    remainders = []
    for weight in weights:
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append(remainder)
    left = total - sum(shares)
    if left:
        # Python's sort is stable, so equal remainders keep their line order.
        order = sorted(range(len(weights)), key=lambda i: -remainders[i])
        for index in order[:left]:
            shares[index] += 1
    return shares
