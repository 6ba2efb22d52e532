"""The award and after (tenders.services.award): award with its letters, objections during the
standstill, the contract — each from every allowed and disallowed status, with the clock before
and after the standstill; the letters readable in Arabic and English; a failure half-way leaves
nothing behind.

Tenders reach the award through the real evaluation services on the local `opened_tender`
helper of tests/tenders/test_evaluation.py (the rows the opening leaves)."""

import datetime
import subprocess
import unicodedata
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.roles import Role
from portal.documents import document_pdf_bytes
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, IssuedDocument, Notification, ReferenceCounter
from tenders.models import Award, Objection, OcdsRelease, Tender
from tenders.services import award as award_services
from tests.factories import CustomerFactory, UserFactory
from tests.tenders.test_evaluation import (
    _english,  # noqa: F401 - the autouse fixtures of that module, for this one too
    _events,
    _tender_settings,  # noqa: F401
    recommended,
)

S = Tender.Status
ALL = list(S)
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _state(tender: Tender) -> tuple:
    tender = Tender.objects.get(pk=tender.pk)
    award = Award.objects.filter(tender=tender).first()
    return (
        tender.status,
        AuditEvent.objects.count(),
        Notification.objects.count(),
        IssuedDocument.objects.count(),
        OcdsRelease.objects.count(),
        Objection.objects.filter(answered_at__isnull=True).count(),
        Objection.objects.count(),
        None
        if award is None
        else (award.contract_reference, award.contract_signed_at, award.contract_value),
        list(ReferenceCounter.objects.order_by("prefix").values_list("prefix", "last_value")),
    )


def _at(tender: Tender, status: str) -> Tender:
    Tender.objects.filter(pk=tender.pk).update(status=status)
    tender.refresh_from_db()
    return tender


def _after_standstill(award: Award):
    return time_machine.travel(award.standstill_ends_at + datetime.timedelta(seconds=1))


def _awarded(**kwargs):
    o = recommended(**kwargs)
    award = award_services.award_make(actor=o.engineer, tender=o.tender)
    o.refresh()
    return o, award


# --- the award ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("status", ALL)
def test_award_from_each_status(status):
    o = recommended(keys=("X", "Y"))
    _at(o.tender, status)
    before = _state(o.tender)
    if status == S.FINANCIAL_EVALUATION:
        award_services.award_make(actor=o.engineer, tender=o.tender)
        assert Tender.objects.get(pk=o.tender.pk).status == S.AWARDED
    else:
        with pytest.raises(TransitionNotAllowed):
            award_services.award_make(actor=o.engineer, tender=o.tender)
        assert _state(o.tender) == before


@pytest.mark.django_db
def test_award_needs_the_contracts_engineer_and_two_approvals():
    from tenders.services import evaluation

    o = recommended(keys=("X", "Y"))
    before = _state(o.tender)
    for user in (o.a, o.suppliers["X"], UserFactory(role=Role.REVIEWER)):
        with pytest.raises(PermissionDenied):
            award_services.award_make(actor=user, tender=o.tender)
    # One approval is not enough.
    o.tender.recommendation.approvals.filter(member__user=o.b).delete()
    with pytest.raises(DomainError, match="needs 2 members' approvals"):
        award_services.award_make(actor=o.engineer, tender=o.tender)
    assert award_services.award_actions(user=o.engineer, tender=o.tender) == set()
    evaluation.recommendation_approve(actor=o.b, tender=o.tender)
    assert award_services.award_actions(user=o.engineer, tender=o.tender) == {"award"}
    assert _state(o.tender)[0] == before[0]


@pytest.mark.django_db
def test_the_award_with_its_letters_notifications_and_release():
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        o, award = _awarded()
    assert o.tender.status == S.AWARDED
    assert award.bid == o.bids["Y"] and award.amount == Decimal("900000.00")
    assert award.awarded_at == moment
    assert award.standstill_ends_at == moment + datetime.timedelta(days=10)
    assert _events(o.tender)[-1] == "awarded"

    letters = {doc.owner_id: doc for doc in IssuedDocument.objects.all()}
    assert len(letters) == IssuedDocument.objects.count() == 5  # one letter per bidder
    assert {doc.kind for doc in letters.values()} == {"award_letter", "regret_letter"}
    winner = letters[o.suppliers["Y"].pk]
    assert winner.kind == "award_letter" and winner.template == "tenders/pdf/award_letter.html"
    assert winner.snapshot["amount"] == "900000.00" and winner.snapshot["rank"] == 1
    regrets = {key: letters[o.suppliers[key].pk].snapshot for key in ("X", "W", "Z", "V")}
    assert all(letters[o.suppliers[k].pk].kind == "regret_letter" for k in regrets)
    assert {k: (s["outcome"], s["rank"]) for k, s in regrets.items()} == {
        "X": ("ranked", 2),
        "W": ("ranked", 3),
        "Z": ("below_pass_mark", None),
        "V": ("not_compliant", None),
    }
    assert all(s["amount"] == "900000.00" and s["bids_ranked"] == 3 for s in regrets.values())
    assert all(s["winner_en"] == "Bidder Y" for s in regrets.values())

    kinds = dict(
        Notification.objects.filter(channel=Notification.Channel.EMAIL).values_list(
            "recipient", "kind"
        )
    )
    assert kinds[o.suppliers["Y"].pk] == "award_won"
    assert all(kinds[o.suppliers[k].pk] == "award_regret" for k in regrets)
    release = OcdsRelease.objects.filter(tender=o.tender).latest("pk")
    assert "award" in release.tags


def _pdf_text(document: IssuedDocument, tmp_path) -> str:
    path = tmp_path / f"{document.pk}.pdf"
    path.write_bytes(document_pdf_bytes(document))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS)


@pytest.mark.django_db
def test_the_letters_read_in_arabic_and_english(tmp_path):
    o, _award = _awarded()
    award_letter = IssuedDocument.objects.get(kind="award_letter")
    text = _pdf_text(award_letter, tmp_path)
    assert "Letter of award" in text and "900,000.00" in text and "Bidder Y" in text
    assert all(word in text.split() for word in ["خطاب", "ترسية"])
    regret = IssuedDocument.objects.get(kind="regret_letter", owner=o.suppliers["X"])
    text = _pdf_text(regret, tmp_path)
    assert "Letter of regret" in text and "Ranked 2 of 3" in text
    assert "900,000.00" in text  # the winning amount
    assert "1,000,000.00" in text  # this bidder's own offer
    assert all(word in text.split() for word in ["خطاب", "اعتذار"])
    assert "الترتيب" in text


@pytest.mark.django_db
def test_a_failure_half_way_through_the_award_leaves_nothing(monkeypatch):
    o = recommended()
    before = _state(o.tender)

    def broken(**kwargs):
        raise RuntimeError("the release could not be built")

    monkeypatch.setattr(award_services, "release_record", broken)
    with pytest.raises(RuntimeError):
        award_services.award_make(actor=o.engineer, tender=o.tender)
    assert _state(o.tender) == before
    assert not Award.objects.exists()


# --- objections -----------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("after", [False, True], ids=["during", "after"])
@pytest.mark.parametrize("status", ALL)
def test_objection_from_each_status_during_and_after_the_standstill(status, after):
    o, award = _awarded(keys=("X", "Y"))
    _at(o.tender, status)
    before = _state(o.tender)
    bidder = o.suppliers["X"]
    clock = _after_standstill(award) if after else time_machine.travel(timezone.now())
    with clock:
        if status == S.AWARDED and not after:
            objection = award_services.objection_lodge(
                actor=bidder, tender=o.tender, text="Y's bond expires too early."
            )
            assert objection.organization == bidder.organization
            assert _events(o.tender)[-1] == "objection_lodged"
        elif status == S.AWARDED:
            with pytest.raises(DomainError, match="standstill period has ended"):
                award_services.objection_lodge(actor=bidder, tender=o.tender, text="Late.")
            assert _state(o.tender) == before
        else:
            with pytest.raises(TransitionNotAllowed):
                award_services.objection_lodge(actor=bidder, tender=o.tender, text="No.")
            assert _state(o.tender) == before


@pytest.mark.django_db
def test_only_a_bidder_objects_with_grounds_and_the_staff_are_told():
    o, _award = _awarded(keys=("X", "Y"))
    before = _state(o.tender)
    for user in (CustomerFactory(), o.a, o.engineer):
        with pytest.raises(PermissionDenied):
            award_services.objection_lodge(actor=user, tender=o.tender, text="Unfair.")
    with pytest.raises(DomainError, match="grounds"):
        award_services.objection_lodge(actor=o.suppliers["X"], tender=o.tender, text=" ")
    assert _state(o.tender) == before
    count = Notification.objects.count()
    award_services.objection_lodge(actor=o.suppliers["X"], tender=o.tender, text="Unfair.")
    told = {
        n.recipient_id
        for n in Notification.objects.order_by("pk")[count:]
        if n.kind == "objection_lodged"
    }
    assert told == {o.engineer.pk, o.a.pk, o.b.pk, o.c.pk}


@pytest.mark.django_db
def test_answering_an_objection():
    o, _award = _awarded(keys=("X", "Y"))
    objection = award_services.objection_lodge(
        actor=o.suppliers["X"], tender=o.tender, text="Unfair."
    )
    assert award_services.award_actions(user=o.a, tender=o.tender) == {"answer-objection"}
    assert award_services.award_actions(user=o.suppliers["X"], tender=o.tender) == {"object"}
    before = _state(o.tender)
    for user in (o.c, o.suppliers["X"], o.suppliers["Y"]):  # c declared a conflict
        with pytest.raises(PermissionDenied):
            award_services.objection_answer(actor=user, objection=objection, answer="No.")
    with pytest.raises(DomainError, match="Write the answer"):
        award_services.objection_answer(actor=o.a, objection=objection, answer="")
    assert _state(o.tender) == before
    answered = award_services.objection_answer(
        actor=o.a, objection=objection, answer="The bond is valid until the contract."
    )
    assert answered.answered_by == o.a and answered.answered_at is not None
    assert Notification.objects.filter(
        recipient=o.suppliers["X"], kind="objection_answered"
    ).exists()
    with pytest.raises(DomainError, match="already been answered"):
        award_services.objection_answer(actor=o.engineer, objection=objection, answer="Again.")
    # The contracts engineer answers too.
    second = award_services.objection_lodge(
        actor=o.suppliers["X"], tender=o.tender, text="And the price?"
    )
    award_services.objection_answer(actor=o.engineer, objection=second, answer="It is right.")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in ALL if s != S.AWARDED])
def test_answering_an_objection_outside_the_award_is_refused(status):
    o, _award = _awarded(keys=("X", "Y"))
    objection = award_services.objection_lodge(
        actor=o.suppliers["X"], tender=o.tender, text="Unfair."
    )
    _at(o.tender, status)
    before = _state(o.tender)
    with pytest.raises(TransitionNotAllowed):
        award_services.objection_answer(actor=o.a, objection=objection, answer="No.")
    assert _state(o.tender) == before


# --- the contract ---------------------------------------------------------------------------------
def _sign(o, **kwargs):
    values = {"signed_on": timezone.localdate(), "value": Decimal("905000.00")}
    return award_services.contract_sign(actor=o.engineer, tender=o.tender, **values | kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("after", [False, True], ids=["during", "after"])
@pytest.mark.parametrize("status", ALL)
def test_contract_from_each_status_before_and_after_the_standstill(status, after):
    o, award = _awarded(keys=("X", "Y"))
    _at(o.tender, status)
    before = _state(o.tender)
    clock = _after_standstill(award) if after else time_machine.travel(timezone.now())
    with clock:
        if status == S.AWARDED and after:
            signed = _sign(o)
            year = timezone.localdate().year
            assert signed.contract_reference == f"CNT-{year}-000001"
            assert signed.contract_value == Decimal("905000.00")
            assert Tender.objects.get(pk=o.tender.pk).status == S.CONTRACTED
            assert _events(o.tender)[-1] == "contract_signed"
            assert "contract" in OcdsRelease.objects.filter(tender=o.tender).latest("pk").tags
            assert Notification.objects.filter(
                recipient=o.suppliers["Y"], kind="contract_signed"
            ).exists()
        elif status == S.AWARDED:
            with pytest.raises(DomainError, match="before the standstill period ends"):
                _sign(o)
            assert _state(o.tender) == before
        else:
            with pytest.raises(TransitionNotAllowed):
                _sign(o)
            assert _state(o.tender) == before


@pytest.mark.django_db
def test_an_unanswered_objection_holds_the_contract():
    o, award = _awarded(keys=("X", "Y"))
    objection = award_services.objection_lodge(
        actor=o.suppliers["X"], tender=o.tender, text="Unfair."
    )
    with _after_standstill(award):
        before = _state(o.tender)
        assert award_services.award_actions(user=o.engineer, tender=o.tender) == {
            "answer-objection"
        }
        with pytest.raises(DomainError, match="Every objection must be answered"):
            _sign(o)
        assert _state(o.tender) == before
        award_services.objection_answer(actor=o.b, objection=objection, answer="Rejected.")
        assert award_services.award_actions(user=o.engineer, tender=o.tender) == {"sign-contract"}
        _sign(o)
    assert Tender.objects.get(pk=o.tender.pk).status == S.CONTRACTED


@pytest.mark.django_db
def test_contract_rules():
    o, award = _awarded(keys=("X", "Y"))
    with _after_standstill(award):
        before = _state(o.tender)
        for user in (o.a, o.suppliers["Y"]):
            with pytest.raises(PermissionDenied):
                award_services.contract_sign(
                    actor=user, tender=o.tender, signed_on=timezone.localdate(), value=1
                )
        for value in (0, "-5", "12.345", "lots", "NaN"):
            with pytest.raises(DomainError, match="contract value"):
                _sign(o, value=value)
        with pytest.raises(DomainError, match="future"):
            _sign(o, signed_on=timezone.localdate() + datetime.timedelta(days=1))
        with pytest.raises(DomainError, match="before the end of the standstill"):
            _sign(o, signed_on=timezone.localtime(award.awarded_at).date())
        with pytest.raises(DomainError, match="Enter the date"):
            _sign(o, signed_on=None)
        assert _state(o.tender) == before


@pytest.mark.django_db
def test_a_failure_half_way_through_the_contract_leaves_nothing(monkeypatch):
    o, award = _awarded(keys=("X", "Y"))

    def broken(**kwargs):
        raise RuntimeError("the release could not be built")

    with _after_standstill(award):
        before = _state(o.tender)
        monkeypatch.setattr(award_services, "release_record", broken)
        with pytest.raises(RuntimeError):
            _sign(o)
        assert _state(o.tender) == before  # no reference taken, nothing signed


@pytest.mark.django_db
def test_nothing_to_do_after_the_contract():
    o, award = _awarded(keys=("X", "Y"))
    with _after_standstill(award):
        _sign(o)
        o.tender.refresh_from_db()
        for user in (o.engineer, o.a, o.suppliers["X"]):
            assert award_services.award_actions(user=user, tender=o.tender) == set()


# --- the whole way, from bids sealed and opened by the real services -----------------------------
@pytest.mark.django_db
def test_from_the_real_opening_to_the_contract(people, tmp_path):
    from tenders.services import evaluation, lifecycle
    from tests.tenders import factories as f

    tender = f.tender_at(
        "tendering",
        people=people,
        financial_method=Tender.FinancialMethod.COMBINED,
        technical_weight=Decimal("70"),
    )
    # The bill of quantities has 1,200 + 800 units: 90 a unit is 180,000.00, 100 is 200,000.00.
    cheap = f.bid_submit_for(tender=tender, user=people.supplier, rate=Decimal("90.00"))
    dear = f.bid_submit_for(tender=tender, user=people.other_supplier, rate=Decimal("100.00"))
    a, b = people.committee
    opening_time = max(tender.opening_at, tender.submission_deadline)
    with time_machine.travel(opening_time + datetime.timedelta(minutes=1), tick=True):
        lifecycle.tenders_advance()
        tender.refresh_from_db()
        f.tender_open(tender, people=people)
        cheap.refresh_from_db()
        dear.refresh_from_db()
        assert (cheap.total_price, dear.total_price) == (Decimal("180000.00"), Decimal("200000.00"))
        assert cheap.hash_verified and dear.hash_verified
        method, experience = tender.criteria.order_by("position", "id")  # 60% and 40%
        for member in (a, b):
            evaluation.conflict_declare(actor=member, tender=tender, no_conflict=True)
        for bid, scores in (
            (cheap, {a: (70, 60), b: (80, 70)}),  # 0.6 × 75 + 0.4 × 65 = 71.00
            (dear, {a: (90, 80), b: (90, 90)}),  # 0.6 × 90 + 0.4 × 85 = 88.00
        ):
            evaluation.technical_compliance_set(actor=a, bid=bid, compliant=True)
            for member, (on_method, on_experience) in scores.items():
                evaluation.technical_score_set(
                    actor=member, bid=bid, criterion=method, score=on_method
                )
                evaluation.technical_score_set(
                    actor=member, bid=bid, criterion=experience, score=on_experience
                )
        evaluation.tender_technical_complete(actor=a, tender=tender)
        cheap.refresh_from_db()
        dear.refresh_from_db()
        # Financial: 100 × 180,000 / price; combined: 70% technical + 30% financial.
        assert (cheap.technical_score, cheap.financial_score, cheap.combined_score) == (
            Decimal("71.00"),
            Decimal("100.00"),
            Decimal("79.70"),
        )
        assert (dear.technical_score, dear.financial_score, dear.combined_score) == (
            Decimal("88.00"),
            Decimal("90.00"),
            Decimal("88.60"),
        )
        assert (dear.rank, cheap.rank) == (1, 2)
        evaluation.recommendation_make(actor=a, tender=tender)
        evaluation.recommendation_approve(actor=a, tender=tender)
        evaluation.recommendation_approve(actor=b, tender=tender)
        award = award_services.award_make(actor=people.engineer, tender=tender)
        objection = award_services.objection_lodge(
            actor=people.supplier, tender=tender, text="Our price is lower."
        )
        award_services.objection_answer(
            actor=b, objection=objection, answer="The combined score decides."
        )
    with _after_standstill(award):
        award_services.contract_sign(
            actor=people.engineer,
            tender=tender,
            signed_on=timezone.localdate(),
            value=Decimal("200000.00"),
        )
    award.refresh_from_db()
    tender.refresh_from_db()
    assert tender.status == S.CONTRACTED
    assert award.bid == dear and award.amount == Decimal("200000.00")
    assert award.contract_reference.startswith("CNT-") and award.contract_value == Decimal(
        "200000.00"
    )
    regret = IssuedDocument.objects.get(kind="regret_letter")
    assert regret.owner == people.supplier
    text = _pdf_text(regret, tmp_path)
    assert "Ranked 2 of 2" in text and "200,000.00" in text and "180,000.00" in text
    assert [r.tags for r in OcdsRelease.objects.filter(tender=tender).order_by("pk")][-2:] == [
        ["award"],
        ["contract"],
    ]


# --- the e-mails ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_e_mails_read_in_each_recipient_s_language(mailoutbox):
    from portal.notifications import notification_deliver

    o, award = _awarded(keys=("X", "Y"))
    for key, language in (("X", "en"), ("Y", "ar")):
        o.suppliers[key].preferred_language = language
        o.suppliers[key].save(update_fields=["preferred_language"])
    objection = award_services.objection_lodge(
        actor=o.suppliers["X"], tender=o.tender, text="Unfair."
    )
    award_services.objection_answer(actor=o.a, objection=objection, answer="It was fair.")
    with _after_standstill(award):
        _sign(o)
    emails = Notification.objects.filter(channel=Notification.Channel.EMAIL).order_by("pk")
    for notification in emails:  # in order: a later row about the tender waits for earlier ones
        assert notification_deliver(notification_id=notification.pk)
    by_recipient = {}
    for message in mailoutbox:
        by_recipient.setdefault(message.to[0], []).append(message)
    regret, answered = by_recipient[o.suppliers["X"].email]
    assert regret.subject == f"Tender result: {o.tender.reference}"
    assert "is awarded to Bidder Y for AED 900,000.00" in regret.body
    assert "Industrial area road maintenance" in regret.body
    assert answered.subject == f"Your objection is answered: {o.tender.reference}"
    won, signed = by_recipient[o.suppliers["Y"].email]
    assert "900,000.00" in won.body and "صيانة طرق المنطقة الصناعية" in won.body
    assert "CNT-" in signed.body and "905,000.00" in signed.body
    lodged = by_recipient[o.engineer.email][0]
    assert o.tender.reference in lodged.subject
