"""The evaluation (tenders.scoring and tenders.services.evaluation): the arithmetic alone with
known figures; conflict declarations; compliance and scores; the end of the technical
evaluation with the exact scores and ranks of a known set of bids (lowest price and combined);
the recommendation and its approvals — each from every allowed and disallowed status, and a
failure half-way leaves nothing behind.

The opened tenders here are built by `opened_tender` below, a local helper writing the rows the
opening leaves behind (prices in clear, hashes verified) without the Argon2id and sealing work,
so that the many status × rule cases stay fast; tests/tenders/test_award.py runs one tender
through the real bid and opening services as well."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from accounts.roles import Role
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Notification
from portal.references import reference_next
from tenders import scoring
from tenders.models import (
    Bid,
    CommitteeMember,
    ConflictDeclaration,
    Criterion,
    Recommendation,
    RecommendationApproval,
    TechnicalScore,
    Tender,
)
from tenders.services import evaluation
from tests.factories import CustomerFactory, OrganizationFactory, UserFactory

S = Tender.Status
ALL = list(S)

# --- the arithmetic alone (tenders.scoring) -----------------------------------------------------
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(minutes=5)
T2 = T0 + datetime.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("74.335", "74.34"),  # half-up, not to even
        ("0.125", "0.13"),
        ("0.115", "0.12"),
        ("99.994", "99.99"),
        ("100", "100.00"),
    ],
)
def test_score_round_is_half_up_to_two_places(value, expected):
    assert scoring.score_round(Decimal(value)) == Decimal(expected)
    assert str(scoring.score_round(Decimal(value))) == expected


def test_technical_score_is_the_weighted_sum_of_the_means():
    weights = {"quality": Decimal(60), "method": Decimal(40)}
    x = {"quality": [Decimal(80), Decimal(90)], "method": [Decimal(70), Decimal(75)]}
    y = {"quality": [Decimal(70), Decimal(71)], "method": [Decimal(90), Decimal(95)]}
    assert scoring.technical_score(weights=weights, scores=x) == Decimal("80.00")
    assert scoring.technical_score(weights=weights, scores=y) == Decimal("79.30")


def test_technical_score_with_three_evaluators_keeps_the_digits_until_the_end():
    # 60% × 70.333… + 40% × 80.333… = 74.333… (each criterion rounded first would say the same,
    # so the next test pins the single rounding)
    weights = {"a": Decimal(60), "b": Decimal(40)}
    scores = {"a": [70, 70, 71], "b": [80, 80, 81]}
    assert scoring.technical_score(weights=weights, scores=scores) == Decimal("74.33")


def test_technical_score_rounds_once_not_per_criterion():
    # 50% × 70.005 + 50% × 80.005 = 75.005 → 75.01; rounding each term first gives 75.00.
    weights = {"a": Decimal(50), "b": Decimal(50)}
    scores = {"a": [Decimal("70.01"), Decimal("70.00")], "b": [Decimal("80.01"), Decimal("80")]}
    assert scoring.technical_score(weights=weights, scores=scores) == Decimal("75.01")


def test_technical_score_refuses_a_criterion_without_scores():
    with pytest.raises(ValueError):
        scoring.technical_score(weights={"a": Decimal(100)}, scores={"a": []})


def test_financial_score_is_100_times_lowest_over_price():
    assert scoring.financial_score(lowest=Decimal(900000), price=Decimal(900000)) == Decimal(
        "100.00"
    )
    assert scoring.financial_score(lowest=Decimal(900000), price=Decimal(1000000)) == Decimal(
        "90.00"
    )
    # 81.8181… → 81.82
    assert scoring.financial_score(lowest=Decimal(900000), price=Decimal(1100000)) == Decimal(
        "81.82"
    )


def test_combined_score_from_the_rounded_scores():
    assert scoring.combined_score(
        technical=Decimal("79.30"), financial=Decimal("100.00"), technical_weight=Decimal(80)
    ) == Decimal("83.44")
    # 95% × 79.30 + 5% × 100 = 75.335 + 5 = 80.335 → 80.34 (half-up)
    assert scoring.combined_score(
        technical=Decimal("79.30"), financial=Decimal("100.00"), technical_weight=Decimal(95)
    ) == Decimal("80.34")


def _known_offers():
    # X: better technically, dearer; Y: cheaper, submitted first; W: dearest.
    return [
        scoring.Offer("X", Decimal("1000000.00"), Decimal("80.00"), T1),
        scoring.Offer("Y", Decimal("900000.00"), Decimal("79.30"), T0),
        scoring.Offer("W", Decimal("1100000.00"), Decimal("85.00"), T2),
    ]


def test_lowest_price_ranks_by_price_only():
    ranked = scoring.rank_offers(_known_offers(), method=scoring.LOWEST_PRICE)
    assert [(r.key, r.rank) for r in ranked] == [("Y", 1), ("X", 2), ("W", 3)]
    assert all(r.financial_score is None and r.combined_score is None for r in ranked)


def test_combined_ranking_with_80_percent_technical():
    ranked = scoring.rank_offers(
        _known_offers(), method=scoring.COMBINED, technical_weight=Decimal(80)
    )
    # Y: 0.8×79.30 + 0.2×100 = 83.44; X: 0.8×80 + 0.2×90 = 82.00; W: 0.8×85 + 0.2×81.82 = 84.36
    assert [(r.key, r.rank, r.financial_score, r.combined_score) for r in ranked] == [
        ("W", 1, Decimal("81.82"), Decimal("84.36")),
        ("Y", 2, Decimal("100.00"), Decimal("83.44")),
        ("X", 3, Decimal("90.00"), Decimal("82.00")),
    ]


def test_combined_ranking_with_20_percent_technical_favours_price():
    ranked = scoring.rank_offers(
        _known_offers(), method=scoring.COMBINED, technical_weight=Decimal(20)
    )
    # Y: 15.86 + 80 = 95.86; X: 16 + 72 = 88.00; W: 17 + 65.456 = 82.456 → 82.46
    assert [(r.key, r.combined_score) for r in ranked] == [
        ("Y", Decimal("95.86")),
        ("X", Decimal("88.00")),
        ("W", Decimal("82.46")),
    ]


def test_ties_go_to_the_earlier_submission():
    offers = [
        scoring.Offer("late", Decimal("500.00"), Decimal("70.00"), T2),
        scoring.Offer("early", Decimal("500.00"), Decimal("70.00"), T0),
    ]
    for method in (scoring.LOWEST_PRICE, scoring.COMBINED):
        ranked = scoring.rank_offers(offers, method=method, technical_weight=Decimal(50))
        assert [(r.key, r.rank) for r in ranked] == [("early", 1), ("late", 2)]


def test_rank_offers_refuses_nonsense():
    with pytest.raises(ValueError):
        scoring.rank_offers(_known_offers(), method="cheapest")
    with pytest.raises(ValueError):
        scoring.rank_offers(_known_offers(), method=scoring.COMBINED)
    with pytest.raises(ValueError):
        scoring.rank_offers(
            [scoring.Offer("Z", Decimal(0), Decimal(80), T0)], method=scoring.LOWEST_PRICE
        )
    assert scoring.rank_offers([], method=scoring.COMBINED, technical_weight=Decimal(50)) == []


# --- an opened tender with a known set of bids ----------------------------------------------------
@pytest.fixture(autouse=True)
def _tender_settings(settings):
    settings.TENDER_APPROVALS_REQUIRED = 2
    settings.TENDER_STANDSTILL_DAYS = 10


@pytest.fixture(autouse=True)
def _english():
    # The messages are matched in English (organization names follow the language too).
    with translation.override("en"):
        yield


# key: (total price, minutes after the first submission, quality scores, method scores);
# no scores = not technically compliant. Criteria: quality 60%, method 40%; pass mark 60.
KNOWN = {
    "X": ("1000000.00", 5, (80, 90), (70, 75)),  # technical 80.00
    "Y": ("900000.00", 0, (70, 71), (90, 95)),  # 79.30
    "W": ("1100000.00", 10, (85, 85), (85, 85)),  # 85.00
    "Z": ("800000.00", 15, (50, 60), (60, 61)),  # 57.20: below the pass mark
    "V": ("700000.00", 20, None, None),  # cheapest, but not compliant
}


@dataclass
class Opened:
    tender: Tender
    engineer: object
    members: list  # a, b (no conflict), c (declares a conflict in `evaluate`)
    criteria: dict[str, Criterion]
    bids: dict[str, Bid] = field(default_factory=dict)
    suppliers: dict[str, object] = field(default_factory=dict)

    @property
    def a(self):
        return self.members[0]

    @property
    def b(self):
        return self.members[1]

    @property
    def c(self):
        return self.members[2]

    def refresh(self) -> "Opened":
        self.tender.refresh_from_db()
        for bid in self.bids.values():
            bid.refresh_from_db()
        return self


def opened_tender(
    *,
    method: str = scoring.LOWEST_PRICE,
    technical_weight: int = 0,
    pass_mark: int = 60,
    keys=tuple(KNOWN),
    status: str = S.OPENED,
) -> Opened:
    """The rows an opening leaves: a tender opened yesterday, three committee members, and the
    KNOWN bids with their prices in clear and their hashes verified."""
    now = timezone.now()
    engineer = UserFactory(role=Role.CONTRACTS_ENGINEER)
    tender = Tender.objects.create(
        reference=reference_next(prefix="TND", width=4),
        title_ar="صيانة طرق المنطقة الصناعية",
        title_en="Industrial area road maintenance",
        description_ar="صيانة الطرق",
        description_en="Road maintenance",
        category=Tender.Category.WORKS,
        technical_pass_mark=Decimal(pass_mark),
        financial_method=method,
        technical_weight=Decimal(technical_weight),
        published_at=now - datetime.timedelta(days=40),
        enquiries_deadline=now - datetime.timedelta(days=20),
        submission_deadline=now - datetime.timedelta(days=2),
        opening_at=now - datetime.timedelta(days=1),
        closed_at=now - datetime.timedelta(days=2),
        opened_at=now - datetime.timedelta(days=1),
        status=status,
        contracts_engineer=engineer,
        created_by=engineer,
    )
    criteria = {
        "quality": Criterion.objects.create(
            tender=tender, name_ar="الجودة", name_en="Quality", weight=Decimal(60), position=1
        ),
        "method": Criterion.objects.create(
            tender=tender, name_ar="المنهجية", name_en="Method", weight=Decimal(40), position=2
        ),
    }
    members = [UserFactory(role=Role.TENDER_COMMITTEE) for _ in range(3)]
    for user in members:
        CommitteeMember.objects.create(tender=tender, user=user)
    opened = Opened(tender=tender, engineer=engineer, members=members, criteria=criteria)
    first = now - datetime.timedelta(days=5)
    for key in keys:
        price, minutes, _quality, _method = KNOWN[key]
        organization = OrganizationFactory(name_en=f"Bidder {key}", name_ar=f"المتقدم {key}")
        supplier = CustomerFactory(organization=organization)
        opened.suppliers[key] = supplier
        opened.bids[key] = Bid.objects.create(
            tender=tender,
            organization=organization,
            submitted_by=supplier,
            submitted_at=first + datetime.timedelta(minutes=minutes),
            sealed_offer=b"opened",
            receipt_hash="0" * 64,
            total_price=Decimal(price),
            hash_verified=True,
        )
    return opened


def declare(o: Opened) -> None:
    """a and b declare no conflict; c declares one."""
    evaluation.conflict_declare(actor=o.a, tender=o.tender, no_conflict=True)
    evaluation.conflict_declare(actor=o.b, tender=o.tender, no_conflict=True)
    evaluation.conflict_declare(
        actor=o.c, tender=o.tender, no_conflict=False, note="My brother manages Bidder X."
    )


def score_all(o: Opened) -> None:
    """a and b decide compliance and score every compliant bid as KNOWN says."""
    for key, bid in o.bids.items():
        _price, _minutes, quality, method = KNOWN[key]
        if quality is None:
            evaluation.technical_compliance_set(
                actor=o.a, bid=bid, compliant=False, reason="No method statement."
            )
            continue
        evaluation.technical_compliance_set(actor=o.a, bid=bid, compliant=True)
        for member, index in ((o.a, 0), (o.b, 1)):
            for name, scores in (("quality", quality), ("method", method)):
                evaluation.technical_score_set(
                    actor=member, bid=bid, criterion=o.criteria[name], score=scores[index]
                )


def evaluated(**kwargs) -> Opened:
    """Declared, scored, and moved to the financial evaluation (ranked)."""
    o = opened_tender(**kwargs)
    declare(o)
    score_all(o)
    evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    return o.refresh()


def recommended(**kwargs) -> Opened:
    """Evaluated, rank 1 recommended and approved by a and b."""
    o = evaluated(**kwargs)
    evaluation.recommendation_make(actor=o.a, tender=o.tender)
    evaluation.recommendation_approve(actor=o.a, tender=o.tender)
    evaluation.recommendation_approve(actor=o.b, tender=o.tender)
    return o.refresh()


def _events(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )
        .order_by("id")
        .values_list("verb", flat=True)
    )


def _at(o: Opened, status: str) -> Opened:
    Tender.objects.filter(pk=o.tender.pk).update(status=status)
    o.tender.refresh_from_db()
    return o


def _state(o: Opened) -> tuple:
    """Everything a refused action must leave as it was."""
    tender = Tender.objects.get(pk=o.tender.pk)
    return (
        tender.status,
        AuditEvent.objects.count(),
        Notification.objects.count(),
        ConflictDeclaration.objects.count(),
        TechnicalScore.objects.count(),
        Recommendation.objects.count(),
        RecommendationApproval.objects.count(),
        list(
            Bid.objects.filter(tender=tender)
            .order_by("pk")
            .values_list(
                "technically_compliant",
                "technical_score",
                "financial_score",
                "combined_score",
                "rank",
            )
        ),
    )


# --- conflict of interest -------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_conflict_declare_from_each_status(status):
    o = _at(opened_tender(keys=("X",)), status)
    before = _state(o)
    if status in evaluation.DECLARING:
        declaration = evaluation.conflict_declare(actor=o.a, tender=o.tender, no_conflict=True)
        assert declaration.no_conflict and declaration.member.user == o.a
        assert _events(o.tender)[-1] == "conflict_declared"
        assert Tender.objects.get(pk=o.tender.pk).status == status  # declaring moves nothing
    else:
        with pytest.raises(TransitionNotAllowed):
            evaluation.conflict_declare(actor=o.a, tender=o.tender, no_conflict=True)
        assert _state(o) == before


@pytest.mark.django_db
def test_conflict_declare_rules():
    o = opened_tender(keys=("X",))
    outsider = UserFactory(role=Role.TENDER_COMMITTEE)  # committee role, not on this tender
    with pytest.raises(PermissionDenied):
        evaluation.conflict_declare(actor=outsider, tender=o.tender, no_conflict=True)
    with pytest.raises(PermissionDenied):
        evaluation.conflict_declare(actor=o.engineer, tender=o.tender, no_conflict=True)
    with pytest.raises(DomainError, match="Describe the conflict"):
        evaluation.conflict_declare(actor=o.c, tender=o.tender, no_conflict=False, note="  ")
    evaluation.conflict_declare(actor=o.c, tender=o.tender, no_conflict=False, note="Cousin.")
    with pytest.raises(DomainError, match="already made"):
        evaluation.conflict_declare(actor=o.c, tender=o.tender, no_conflict=True)
    assert ConflictDeclaration.objects.get().note == "Cousin."


@pytest.mark.django_db
def test_a_member_who_declared_a_conflict_or_nothing_may_not_evaluate():
    o = opened_tender(keys=("X",))
    bid, criterion = o.bids["X"], o.criteria["quality"]
    with pytest.raises(DomainError, match="Declare first"):
        evaluation.technical_score_set(actor=o.a, bid=bid, criterion=criterion, score=70)
    declare(o)
    before = _state(o)
    with pytest.raises(DomainError, match="declared a conflict"):
        evaluation.technical_score_set(actor=o.c, bid=bid, criterion=criterion, score=70)
    with pytest.raises(DomainError, match="declared a conflict"):
        evaluation.technical_compliance_set(actor=o.c, bid=bid, compliant=True)
    assert _state(o) == before
    assert evaluation.evaluation_actions(user=o.c, tender=o.tender) == set()
    assert evaluation.evaluation_actions(user=o.a, tender=o.tender) == {"score"}


# --- compliance and scores ------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_scoring_from_each_status(status):
    o = opened_tender(keys=("X",))
    declare(o)
    _at(o, status)
    bid = o.bids["X"]
    before = _state(o)
    if status in evaluation.SCORING:
        evaluation.technical_compliance_set(actor=o.a, bid=bid, compliant=True)
        evaluation.technical_score_set(
            actor=o.a, bid=bid, criterion=o.criteria["quality"], score="72.5"
        )
        o.refresh()
        assert o.tender.status == S.TECHNICAL_EVALUATION
        assert TechnicalScore.objects.get().score == Decimal("72.50")
        if status == S.OPENED:  # the first decision starts the technical evaluation, once
            assert _events(o.tender).count("technical_evaluation_started") == 1
    else:
        with pytest.raises(TransitionNotAllowed):
            evaluation.technical_compliance_set(actor=o.a, bid=bid, compliant=True)
        with pytest.raises(TransitionNotAllowed):
            evaluation.technical_score_set(
                actor=o.a, bid=bid, criterion=o.criteria["quality"], score=70
            )
        assert _state(o) == before


@pytest.mark.django_db
@pytest.mark.parametrize("score", [-1, "100.01", "70.005", "seventy", "NaN", "Infinity", ""])
def test_a_score_is_0_to_100_with_two_decimals(score):
    o = opened_tender(keys=("X",))
    declare(o)
    before = _state(o)
    with pytest.raises(DomainError, match="from 0 to 100"):
        evaluation.technical_score_set(
            actor=o.a, bid=o.bids["X"], criterion=o.criteria["quality"], score=score
        )
    assert _state(o) == before


@pytest.mark.django_db
def test_an_evaluator_may_correct_a_score():
    o = opened_tender(keys=("X",))
    declare(o)
    for value in (60, 0, 100):
        evaluation.technical_score_set(
            actor=o.a, bid=o.bids["X"], criterion=o.criteria["quality"], score=value
        )
    assert list(TechnicalScore.objects.values_list("score", flat=True)) == [Decimal("100.00")]


@pytest.mark.django_db
def test_a_score_sheet_is_stored_whole_or_not_at_all():
    o = opened_tender(keys=("X",))
    declare(o)
    quality, method = o.criteria["quality"], o.criteria["method"]
    with pytest.raises(DomainError, match="from 0 to 100"):
        evaluation.technical_scores_set(
            actor=o.a, bid=o.bids["X"], scores=[(quality, 70), (method, 170)]
        )
    assert not TechnicalScore.objects.exists()
    rows = evaluation.technical_scores_set(
        actor=o.a, bid=o.bids["X"], scores=[(quality, 70), (method, "65.5")]
    )
    assert [row.score for row in rows] == [Decimal("70.00"), Decimal("65.50")]


@pytest.mark.django_db
def test_compliance_and_scoring_rules():
    o = opened_tender(keys=("X", "Y"))
    declare(o)
    other = opened_tender(keys=("W",))
    x, y = o.bids["X"], o.bids["Y"]
    with pytest.raises(DomainError, match="Give the reason"):
        evaluation.technical_compliance_set(actor=o.a, bid=x, compliant=False, reason=" ")
    evaluation.technical_compliance_set(actor=o.a, bid=x, compliant=False, reason="No CVs.")
    with pytest.raises(DomainError, match="not technically compliant"):
        evaluation.technical_score_set(actor=o.a, bid=x, criterion=o.criteria["quality"], score=9)
    with pytest.raises(DomainError, match="another tender"):
        evaluation.technical_score_set(
            actor=o.a, bid=y, criterion=other.criteria["quality"], score=50
        )
    Bid.objects.filter(pk=y.pk).update(status=Bid.Status.WITHDRAWN)
    with pytest.raises(DomainError, match="withdrawn"):
        evaluation.technical_compliance_set(actor=o.a, bid=y, compliant=True)
    x.refresh_from_db()
    assert x.technically_compliant is False
    assert _events(x) == ["technical_compliance_set"]
    assert not TechnicalScore.objects.exists()


# --- the end of the technical evaluation: known scores and ranks --------------------------------
@pytest.mark.django_db
def test_known_bids_lowest_price():
    o = evaluated(method=scoring.LOWEST_PRICE)
    assert o.tender.status == S.FINANCIAL_EVALUATION
    figures = {
        key: (bid.technical_score, bid.financial_score, bid.combined_score, bid.rank)
        for key, bid in o.bids.items()
    }
    assert figures == {
        "Y": (Decimal("79.30"), None, None, 1),
        "X": (Decimal("80.00"), None, None, 2),
        "W": (Decimal("85.00"), None, None, 3),
        "Z": (Decimal("57.20"), None, None, None),  # below the pass mark of 60
        "V": (None, None, None, None),  # not compliant
    }
    assert _events(o.tender)[-1] == "technical_evaluation_completed"
    assert [b.pk for b in evaluation.ranked_bids(tender=o.tender)] == [
        o.bids[k].pk for k in ("Y", "X", "W")
    ]


@pytest.mark.django_db
def test_known_bids_combined_80_percent_technical():
    o = evaluated(method=scoring.COMBINED, technical_weight=80)
    figures = {
        key: (bid.technical_score, bid.financial_score, bid.combined_score, bid.rank)
        for key, bid in o.bids.items()
    }
    # The lowest price among the bids that passed is Y's 900,000 (Z and V are out).
    assert figures == {
        "W": (Decimal("85.00"), Decimal("81.82"), Decimal("84.36"), 1),
        "Y": (Decimal("79.30"), Decimal("100.00"), Decimal("83.44"), 2),
        "X": (Decimal("80.00"), Decimal("90.00"), Decimal("82.00"), 3),
        "Z": (Decimal("57.20"), None, None, None),
        "V": (None, None, None, None),
    }


@pytest.mark.django_db
def test_the_pass_mark_itself_passes():
    o = evaluated(pass_mark=80)  # X scores exactly 80.00
    assert o.bids["X"].rank == 1 and o.bids["W"].rank == 2
    assert o.bids["Y"].rank is None  # 79.30


@pytest.mark.django_db
def test_technical_completion_needs_every_decision_and_enough_evaluators():
    o = opened_tender(keys=("X", "Y"))
    declare(o)
    x, y = o.bids["X"], o.bids["Y"]
    evaluation.technical_compliance_set(actor=o.a, bid=x, compliant=True)
    before = _state(o)
    with pytest.raises(DomainError, match="Bidder Y"):  # Y's compliance is undecided
        evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    assert _state(o) == before
    evaluation.technical_compliance_set(actor=o.a, bid=y, compliant=True)
    for criterion in o.criteria.values():
        evaluation.technical_score_set(actor=o.a, bid=x, criterion=criterion, score=90)
        evaluation.technical_score_set(actor=o.b, bid=x, criterion=criterion, score=90)
        evaluation.technical_score_set(actor=o.a, bid=y, criterion=criterion, score=90)
    # Y has one evaluator's scores; two are required.
    before = _state(o)
    with pytest.raises(DomainError, match="at least 2 evaluators") as caught:
        evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    assert "Bidder Y" in str(caught.value) and "Bidder X" not in str(caught.value)
    assert _state(o) == before
    evaluation.technical_score_set(actor=o.b, bid=y, criterion=o.criteria["quality"], score=90)
    with pytest.raises(DomainError, match="Bidder Y"):  # one criterion still short
        evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    evaluation.technical_score_set(actor=o.b, bid=y, criterion=o.criteria["method"], score=90)
    evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    o.refresh()
    assert o.tender.status == S.FINANCIAL_EVALUATION
    assert (o.bids["Y"].rank, o.bids["X"].rank) == (1, 2)  # equal scores: the lower price


@pytest.mark.django_db
def test_completion_is_offered_exactly_when_it_would_be_accepted():
    o = opened_tender(keys=("X", "Y"))
    declare(o)
    x = o.bids["X"]
    evaluation.technical_compliance_set(actor=o.a, bid=x, compliant=True)
    evaluation.technical_compliance_set(
        actor=o.a, bid=o.bids["Y"], compliant=False, reason="No CVs."
    )
    steps = [(member, criterion) for member in (o.a, o.b) for criterion in o.criteria.values()]
    for member, criterion in steps:
        assert "complete-technical" not in evaluation.evaluation_actions(user=o.a, tender=o.tender)
        with pytest.raises(DomainError):
            evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
        evaluation.technical_score_set(actor=member, bid=x, criterion=criterion, score=88)
    assert evaluation.evaluation_actions(user=o.a, tender=o.tender) == {
        "score",
        "complete-technical",
    }
    evaluation.tender_technical_complete(actor=o.a, tender=o.tender)


@pytest.mark.django_db
def test_equal_prices_rank_the_earlier_submission_first():
    o = opened_tender(keys=("X", "Y"))
    Bid.objects.filter(tender=o.tender).update(total_price=Decimal("500000.00"))
    declare(o)
    for bid in o.bids.values():
        evaluation.technical_compliance_set(actor=o.a, bid=bid, compliant=True)
        for member in (o.a, o.b):
            for criterion in o.criteria.values():
                evaluation.technical_score_set(actor=member, bid=bid, criterion=criterion, score=75)
    evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    o.refresh()
    assert (o.bids["Y"].rank, o.bids["X"].rank) == (1, 2)  # Y was submitted 5 minutes earlier


@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_technical_completion_from_each_status(status):
    o = opened_tender(keys=("X", "Y"))
    declare(o)
    score_all(o)
    _at(o, status)
    before = _state(o)
    if status in evaluation.SCORING:
        evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
        assert Tender.objects.get(pk=o.tender.pk).status == S.FINANCIAL_EVALUATION
    else:
        with pytest.raises(TransitionNotAllowed):
            evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
        assert _state(o) == before


@pytest.mark.django_db
def test_technical_completion_by_someone_else_is_refused():
    o = opened_tender(keys=("X",))
    declare(o)
    score_all(o)
    before = _state(o)
    for user in (o.engineer, o.suppliers["X"], UserFactory(role=Role.TENDER_COMMITTEE)):
        with pytest.raises(PermissionDenied):
            evaluation.tender_technical_complete(actor=user, tender=o.tender)
    with pytest.raises(DomainError, match="declared a conflict"):
        evaluation.tender_technical_complete(actor=o.c, tender=o.tender)
    assert _state(o) == before


@pytest.mark.django_db
def test_when_no_bid_passes_the_tender_is_unsuccessful_and_bidders_are_told():
    o = opened_tender(keys=("Z", "V"))
    declare(o)
    score_all(o)
    notifications = Notification.objects.count()
    evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    o.refresh()
    assert o.tender.status == S.UNSUCCESSFUL
    assert o.bids["Z"].technical_score == Decimal("57.20") and o.bids["Z"].rank is None
    told = set(
        Notification.objects.order_by("pk")[notifications:].values_list("recipient", flat=True)
    )
    assert {o.suppliers["Z"].pk, o.suppliers["V"].pk} <= told


@pytest.mark.django_db
def test_a_failure_half_way_through_technical_completion_leaves_nothing(monkeypatch):
    o = opened_tender()
    declare(o)
    score_all(o)
    before = _state(o)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(evaluation, "transition", broken)
    with pytest.raises(RuntimeError):
        evaluation.tender_technical_complete(actor=o.a, tender=o.tender)
    assert _state(o) == before  # no score, rank or status stored


# --- recommendation and approvals -----------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_recommendation_from_each_status(status):
    o = evaluated()
    _at(o, status)
    before = _state(o)
    if status == S.FINANCIAL_EVALUATION:
        recommendation = evaluation.recommendation_make(actor=o.a, tender=o.tender)
        assert recommendation.bid == o.bids["Y"]  # rank 1 by default
        evaluation.recommendation_approve(actor=o.b, tender=o.tender)
        assert recommendation.approvals.count() == 1
    else:
        with pytest.raises(TransitionNotAllowed):
            evaluation.recommendation_make(actor=o.a, tender=o.tender)
        with pytest.raises(TransitionNotAllowed):
            evaluation.recommendation_approve(actor=o.a, tender=o.tender)
        assert _state(o) == before


@pytest.mark.django_db
def test_recommending_another_bid_needs_a_justification():
    o = evaluated()
    before = _state(o)
    with pytest.raises(DomainError, match="needs a justification"):
        evaluation.recommendation_make(actor=o.a, tender=o.tender, bid=o.bids["X"])
    for key in ("Z", "V"):  # below the pass mark; not compliant
        with pytest.raises(DomainError, match="passed the technical evaluation"):
            evaluation.recommendation_make(
                actor=o.a, tender=o.tender, bid=o.bids[key], justification="Cheaper."
            )
    assert _state(o) == before
    recommendation = evaluation.recommendation_make(
        actor=o.a, tender=o.tender, bid=o.bids["X"], justification="Y's bond has expired."
    )
    assert recommendation.bid == o.bids["X"]
    assert recommendation.justification == "Y's bond has expired."
    # Nobody approved it yet: it may still be replaced.
    again = evaluation.recommendation_make(actor=o.b, tender=o.tender)
    assert again.pk == recommendation.pk and again.bid == o.bids["Y"]
    assert again.justification == ""
    evaluation.recommendation_approve(actor=o.a, tender=o.tender)
    with pytest.raises(DomainError, match="can no longer change"):
        evaluation.recommendation_make(actor=o.b, tender=o.tender)


@pytest.mark.django_db
def test_approvals_once_per_member_free_of_conflict():
    o = evaluated()
    with pytest.raises(DomainError, match="no recommendation"):
        evaluation.recommendation_approve(actor=o.a, tender=o.tender)
    evaluation.recommendation_make(actor=o.a, tender=o.tender)
    evaluation.recommendation_approve(actor=o.a, tender=o.tender)  # the recommender may approve
    with pytest.raises(DomainError, match="already approved"):
        evaluation.recommendation_approve(actor=o.a, tender=o.tender)
    with pytest.raises(DomainError, match="declared a conflict"):
        evaluation.recommendation_approve(actor=o.c, tender=o.tender)
    with pytest.raises(PermissionDenied):
        evaluation.recommendation_approve(actor=o.engineer, tender=o.tender)
    evaluation.recommendation_approve(actor=o.b, tender=o.tender)
    assert RecommendationApproval.objects.count() == 2
    assert _events(o.tender)[-3:] == [
        "recommendation_made",
        "recommendation_approved",
        "recommendation_approved",
    ]
    assert evaluation.evaluation_actions(user=o.a, tender=o.tender) == set()


@pytest.mark.django_db
def test_a_late_member_declares_before_approving():
    o = evaluated()
    late = UserFactory(role=Role.TENDER_COMMITTEE)
    CommitteeMember.objects.create(tender=o.tender, user=late)
    evaluation.recommendation_make(actor=o.a, tender=o.tender)
    assert evaluation.evaluation_actions(user=late, tender=o.tender) == {"declare"}
    evaluation.conflict_declare(actor=late, tender=o.tender, no_conflict=True)
    assert evaluation.evaluation_actions(user=late, tender=o.tender) == {"recommend", "approve"}
    evaluation.recommendation_approve(actor=late, tender=o.tender)
