"""Evaluation arithmetic: technical scores, financial scores and ranks (pure, no models).

Every figure is a `Decimal`; only `score_round` rounds (half-up to 2 places), and only the
figures that are stored and shown are rounded, so anyone can recompute a combined score from
the technical and financial scores printed on the evaluation sheet.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

HUNDRED = Decimal(100)
SCORE_PLACES = Decimal("0.01")
LOWEST_PRICE = "lowest_price"
COMBINED = "combined"


def score_round(value: Decimal) -> Decimal:
    """The one rounding of the evaluation: half-up to 2 decimal places."""
    return Decimal(value).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def _mean(values: Sequence[Decimal]) -> Decimal:
    # A mean of three evaluators does not end (x/3): the working precision keeps far more
    # digits than the final rounding needs, so the result does not depend on the order.
    with localcontext() as context:
        context.prec = 40
        return sum((Decimal(v) for v in values), Decimal(0)) / len(values)


def technical_score(
    *, weights: Mapping[object, Decimal], scores: Mapping[object, Sequence[Decimal]]
) -> Decimal:
    """Σ over criteria of weight% × the mean of the evaluators' scores (0–100), rounded once.

    `weights` maps each criterion to its weight (a tender's weights sum to 100); `scores` maps
    each criterion to the scores its evaluators gave. Raises ValueError when a criterion has
    no score: the caller checks completeness first and says which one is missing.
    """
    with localcontext() as context:
        context.prec = 40
        total = Decimal(0)
        for criterion, weight in weights.items():
            given = scores.get(criterion) or ()
            if not given:
                raise ValueError(f"criterion {criterion!r} has no score")
            total += Decimal(weight) * _mean(given) / HUNDRED
    return score_round(total)


def financial_score(*, lowest: Decimal, price: Decimal) -> Decimal:
    """100 × the lowest price / this price (the lowest offer scores 100)."""
    with localcontext() as context:
        context.prec = 40
        return score_round(HUNDRED * Decimal(lowest) / Decimal(price))


def combined_score(*, technical: Decimal, financial: Decimal, technical_weight: Decimal) -> Decimal:
    """technical_weight% × technical + (100 − technical_weight)% × financial, from the rounded
    technical and financial scores (the ones the sheet shows)."""
    weight = Decimal(technical_weight)
    with localcontext() as context:
        context.prec = 40
        value = (weight * Decimal(technical) + (HUNDRED - weight) * Decimal(financial)) / HUNDRED
    return score_round(value)


@dataclass(frozen=True)
class Offer:
    """A bid that passed the technical evaluation, as the financial ranking sees it."""

    key: object
    total_price: Decimal
    technical_score: Decimal
    submitted_at: datetime


@dataclass(frozen=True)
class Ranked:
    key: object
    rank: int
    financial_score: Decimal | None
    combined_score: Decimal | None


def rank_offers(
    offers: Iterable[Offer], *, method: str, technical_weight: Decimal | None = None
) -> list[Ranked]:
    """Rank the passing bids, 1 the best.

    lowest_price: by total price, lowest first. combined: financial score = 100 × lowest /
    price, combined = technical_weight% × technical + the rest × financial, highest first.
    Ties go to the earlier submission (then the key, so the order is always the same).
    Raises ValueError for an unknown method, a price that is not positive, or a combined
    ranking without a technical weight in 0–100.
    """
    offers = list(offers)
    if any(Decimal(o.total_price) <= 0 for o in offers):
        raise ValueError("every price must be positive")
    if method == LOWEST_PRICE:
        ordered = sorted(offers, key=lambda o: (Decimal(o.total_price), o.submitted_at, o.key))
        return [Ranked(o.key, n, None, None) for n, o in enumerate(ordered, start=1)]
    if method != COMBINED:
        raise ValueError(f"unknown financial method {method!r}")
    if technical_weight is None or not 0 <= Decimal(technical_weight) <= HUNDRED:
        raise ValueError("a combined ranking needs a technical weight between 0 and 100")
    if not offers:
        return []
    lowest = min(Decimal(o.total_price) for o in offers)
    scored = []
    for offer in offers:
        financial = financial_score(lowest=lowest, price=offer.total_price)
        combined = combined_score(
            technical=offer.technical_score,
            financial=financial,
            technical_weight=technical_weight,
        )
        scored.append((offer, financial, combined))
    scored.sort(key=lambda item: (-item[2], item[0].submitted_at, item[0].key))
    return [
        Ranked(offer.key, n, financial, combined)
        for n, (offer, financial, combined) in enumerate(scored, start=1)
    ]
