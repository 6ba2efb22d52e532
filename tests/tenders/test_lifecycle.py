"""The tender's life outside the bids: the draft, publication (keys and shares), cancellation,
the time-driven moves and "unsuccessful" — each from every allowed and disallowed status, with
the clock before and after each deadline."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from portal.errors import TransitionNotAllowed
from portal.models import AuditEvent, Notification
from tenders import sealing
from tenders.models import CommitteeMember, MemberKey, OcdsRelease, Tender
from tenders.services import committee as committee_services
from tenders.services import lifecycle
from tenders.services.lifecycle import NotReady
from tests.tenders import factories as f

pytestmark = pytest.mark.django_db
T = Tender.Status

# Every state a factory builds ("ready" is a publishable draft).
ALL = [
    "draft",
    "published",
    "tendering",
    "closed",
    "opened",
    "technical_evaluation",
    "financial_evaluation",
    "unsuccessful",
    "awarded",
    "contracted",
    "cancelled",
]


def _kinds(*, kind: str) -> list[int]:
    """Who was e-mailed this kind of notification (one id per e-mail)."""
    return list(
        Notification.objects.filter(kind=kind, channel="email").values_list(
            "recipient_id", flat=True
        )
    )


# --- the draft ---------------------------------------------------------------------------------
def test_create_gives_a_reference_and_a_draft(people):
    tender = f.tender_draft(people=people)
    assert re.fullmatch(rf"TND-{timezone.localdate().year}-\d{{4}}", tender.reference)
    assert tender.status == T.DRAFT
    assert tender.contracts_engineer == people.engineer
    assert list(tender.categories.all()) == [people.category]
    assert tender.public_key is None and tender.sealed_private_key is None
    assert AuditEvent.objects.filter(verb="tender_created", object_id=str(tender.pk)).exists()


@pytest.mark.parametrize("who", ["supplier", "member", "anonymous_like"])
def test_only_a_contracts_engineer_creates(people, who, member_a):
    actor = {"supplier": people.supplier, "member": member_a}.get(who, people.ineligible_supplier)
    with pytest.raises(PermissionDenied):
        lifecycle.tender_create(actor=actor, **f.tender_values())
    assert not Tender.objects.exists()


def test_create_refuses_dates_out_of_order(people):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        lifecycle.tender_create(
            actor=people.engineer,
            **f.tender_values(
                enquiries_deadline=now + timedelta(days=5),
                submission_deadline=now + timedelta(days=3),
                opening_at=now + timedelta(days=2),
            ),
        )
    assert {"enquiries_deadline", "opening_at"} <= set(error.value.message_dict)
    assert not Tender.objects.exists()


def test_combined_evaluation_needs_a_technical_weight(people):
    with pytest.raises(ValidationError) as error:
        lifecycle.tender_create(
            actor=people.engineer,
            **f.tender_values(financial_method="combined", technical_weight=Decimal("0")),
        )
    assert "technical_weight" in error.value.message_dict


def test_update_changes_a_draft_and_its_lists(people, category):
    tender = f.tender_draft(people=people)
    invited = f.supplier_user(email="invited@example.ae", category=category).organization
    lifecycle.tender_update(
        actor=people.engineer,
        tender=tender,
        title_en="New title",
        method="limited",
        invited=[invited],
        categories=[],
    )
    tender.refresh_from_db()
    assert tender.title_en == "New title"
    assert list(tender.invited.all()) == [invited]
    assert not tender.categories.exists()


def test_criteria_weights_cannot_pass_100(people):
    tender = f.tender_draft(people=people)
    lifecycle.criterion_add(
        actor=people.engineer, tender=tender, name_ar="أ", name_en="A", weight=Decimal("70")
    )
    with pytest.raises(ValidationError):
        lifecycle.criterion_add(
            actor=people.engineer, tender=tender, name_ar="ب", name_en="B", weight=Decimal("31")
        )
    assert tender.criteria.count() == 1


def test_boq_codes_are_unique(people):
    tender = f.tender_draft(people=people)
    line = {"description_ar": "س", "description_en": "x", "unit": "m", "quantity": Decimal("1")}
    lifecycle.boq_item_add(actor=people.engineer, tender=tender, code="A.1", **line)
    with pytest.raises(ValidationError):
        lifecycle.boq_item_add(actor=people.engineer, tender=tender, code="A.1", **line)


def test_documents_are_versioned_per_kind(people):
    tender = f.tender_draft(people=people)
    first, second = (
        lifecycle.tender_document_add(
            actor=people.engineer,
            tender=tender,
            kind="drawings",
            title_ar="المخططات",
            title_en="Drawings",
            upload=f.pdf(),
        )
        for _ in range(2)
    )
    assert (first.version, second.version) == (1, 2)
    assert first.file.attached_to == tender


def test_a_refused_file_stores_nothing(people):
    tender = f.tender_draft(people=people)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):
        lifecycle.tender_document_add(
            actor=people.engineer,
            tender=tender,
            kind="other",
            title_ar="ملف",
            title_en="File",
            upload=SimpleUploadedFile("x.pdf", b"not a pdf at all"),
        )
    assert not tender.documents.exists()


@pytest.mark.parametrize("status", [s for s in ALL if s != "draft"])
def test_only_a_draft_can_be_edited(people, status):
    tender = f.tender_at(status, people=people)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.tender_update(actor=people.engineer, tender=tender, title_en="Changed")
    with pytest.raises(TransitionNotAllowed):
        lifecycle.criterion_add(
            actor=people.engineer, tender=tender, name_ar="أ", name_en="A", weight=Decimal("1")
        )
    with pytest.raises(TransitionNotAllowed):
        committee_services.committee_member_remove(
            actor=people.engineer, member=tender.committee.first()
        )
    tender.refresh_from_db()
    assert tender.title_en != "Changed"


def test_a_supplier_cannot_edit_a_draft(people):
    tender = f.tender_draft(people=people)
    with pytest.raises(PermissionDenied):
        lifecycle.tender_update(actor=people.supplier, tender=tender, title_en="Changed")


# --- the committee and its keys ----------------------------------------------------------------
def test_committee_members_must_have_the_role(people):
    tender = f.tender_draft(people=people)
    with pytest.raises(ValidationError):
        committee_services.committee_member_add(
            actor=people.engineer, tender=tender, user=people.supplier
        )
    committee_services.committee_member_add(
        actor=people.engineer, tender=tender, user=people.committee[0]
    )
    with pytest.raises(ValidationError):
        committee_services.committee_member_add(
            actor=people.engineer, tender=tender, user=people.committee[0]
        )
    assert tender.committee.count() == 1


def test_a_short_passphrase_is_refused_clearly(member_without_key):
    with pytest.raises(ValidationError) as error:
        committee_services.member_key_set(actor=member_without_key, passphrase="too short")
    assert "12" in str(error.value.messages[0])
    assert not MemberKey.objects.filter(user=member_without_key).exists()


def test_a_passphrase_is_never_stored(member_without_key):
    passphrase = "a long enough opening passphrase"
    key = committee_services.member_key_set(actor=member_without_key, passphrase=passphrase)
    stored = b"".join(
        bytes(getattr(key, name)) for name in ("public_key", "protected_private_key", "salt")
    )
    assert passphrase.encode() not in stored
    assert sealing.member_private_key(key, passphrase)
    event = AuditEvent.objects.get(verb="member_key_set")
    assert passphrase not in str(event.data)


def test_only_committee_members_set_a_key(people):
    with pytest.raises(PermissionDenied):
        committee_services.member_key_set(
            actor=people.supplier, passphrase="a long enough opening passphrase"
        )


def test_a_key_holding_a_live_share_cannot_be_replaced(people, member_a):
    f.tender_at("published", people=people)
    with pytest.raises(committee_services.CommitteeError):
        committee_services.member_key_set(
            actor=member_a, passphrase="another long enough passphrase"
        )


def test_a_key_is_replaced_once_its_shares_are_spent(people, member_a):
    f.tender_at("opened", people=people)
    old = bytes(MemberKey.objects.get(user=member_a).public_key)
    committee_services.member_key_set(actor=member_a, passphrase="another long passphrase")
    assert bytes(MemberKey.objects.get(user=member_a).public_key) != old


# --- publication -------------------------------------------------------------------------------
def test_publish_seals_a_share_to_each_member_and_tells_eligible_suppliers(people):
    tender = f.tender_at("ready", people=people)
    tender = lifecycle.tender_publish(actor=people.engineer, tender=tender)
    assert tender.status == T.PUBLISHED and tender.published_at is not None
    members = list(CommitteeMember.objects.filter(tender=tender).select_related("user"))
    assert len(members) == 2 and all(m.sealed_share for m in members)
    # Any two members' shares rebuild the tender's private key; it matches the public key.
    shares = [
        sealing.share_open(
            m.sealed_share,
            sealing.member_private_key(m.user.tender_member_key, passphrase),
        )
        for m, passphrase in zip(members, f.PASSPHRASES, strict=True)
    ]
    private = sealing.tender_private_key_rebuild(tender.sealed_private_key, shares)
    assert sealing.public_key_of(private) == bytes(tender.public_key)
    with pytest.raises(sealing.NotEnoughShares):
        sealing.tender_private_key_rebuild(tender.sealed_private_key, shares[:1])
    told = set(_kinds(kind="tender_published"))
    assert told == {people.supplier.pk, people.other_supplier.pk}
    assert OcdsRelease.objects.filter(tender=tender, tags=["tender"]).exists()


@pytest.mark.parametrize("status", [s for s in ALL if s != "draft"])
def test_publish_is_refused_from_every_other_status(people, status):
    tender = f.tender_at(status, people=people)
    before = tender.status
    with pytest.raises(TransitionNotAllowed):
        lifecycle.tender_publish(actor=people.engineer, tender=tender)
    tender.refresh_from_db()
    assert tender.status == before


def test_only_a_contracts_engineer_publishes(people, member_a):
    tender = f.tender_at("ready", people=people)
    for actor in (people.supplier, member_a):
        with pytest.raises(PermissionDenied):
            lifecycle.tender_publish(actor=actor, tender=tender)


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda t, p: t.criteria.first().delete(), "add up to 40"),
        (lambda t, p: t.criteria.all().delete(), "criteria"),
        (lambda t, p: t.boq_items.all().delete(), "bill of quantities"),
        (lambda t, p: t.documents.all().delete(), "documents"),
        (lambda t, p: t.committee.first().delete(), "at least 2"),
        (lambda t, p: MemberKey.objects.filter(user=p.committee[1]).delete(), "passphrase"),
        (
            lambda t, p: (
                t.invited.clear() or t.__class__.objects.filter(pk=t.pk).update(method="limited")
            ),
            "invited",
        ),
    ],
)
def test_publish_names_what_is_missing(people, spoil, message):
    tender = f.tender_at("ready", people=people)
    spoil(tender, people)
    tender.refresh_from_db()
    with translation.override("en"), pytest.raises(NotReady) as error:
        lifecycle.tender_publish(actor=people.engineer, tender=tender)
    assert message in str(error.value)
    tender.refresh_from_db()
    assert tender.status == T.DRAFT and tender.public_key is None
    assert not CommitteeMember.objects.filter(tender=tender, sealed_share__isnull=False).exists()


def test_publish_after_the_enquiries_deadline_is_refused(people):
    tender = f.tender_at("ready", people=people)
    after = tender.enquiries_deadline + timedelta(seconds=1)
    with (
        time_machine.travel(after),
        translation.override("en"),
        pytest.raises(NotReady, match="dates"),
    ):
        lifecycle.tender_publish(actor=people.engineer, tender=tender)
    with time_machine.travel(tender.enquiries_deadline - timedelta(seconds=1)):
        lifecycle.tender_publish(actor=people.engineer, tender=tender)
    assert tender.status == T.PUBLISHED


def test_publish_cannot_be_dated_later_than_now(people):
    tender = f.tender_at("ready", people=people)
    later = tender.enquiries_deadline + timedelta(days=1)
    # A `now` after the real clock counts as the real clock: the dates are still valid.
    lifecycle.tender_publish(actor=people.engineer, tender=tender, now=later)
    assert tender.published_at <= timezone.now()


def test_a_failure_half_way_through_publish_leaves_nothing_behind(people, monkeypatch):
    tender = f.tender_at("ready", people=people)

    def broken(**kwargs):
        raise RuntimeError("the release store is down")

    monkeypatch.setattr(lifecycle, "release_record", broken)
    with pytest.raises(RuntimeError):
        lifecycle.tender_publish(actor=people.engineer, tender=tender)
    tender.refresh_from_db()
    assert tender.status == T.DRAFT and tender.public_key is None
    assert tender.published_at is None
    assert not CommitteeMember.objects.filter(tender=tender, sealed_share__isnull=False).exists()
    assert not Notification.objects.filter(kind="tender_published").exists()
    assert not AuditEvent.objects.filter(verb="tender_published").exists()


# --- time-driven moves ---------------------------------------------------------------------------
def test_advance_follows_the_deadlines(people):
    tender = f.tender_at("published", people=people)
    with time_machine.travel(tender.enquiries_deadline - timedelta(seconds=1)):
        assert lifecycle.tenders_advance() == 0
    tender.refresh_from_db()
    assert tender.status == T.PUBLISHED
    with time_machine.travel(tender.enquiries_deadline):
        assert lifecycle.tenders_advance() == 1
        assert lifecycle.tenders_advance() == 0  # twice changes nothing more
    tender.refresh_from_db()
    assert tender.status == T.TENDERING
    with time_machine.travel(tender.submission_deadline - timedelta(seconds=1)):
        assert lifecycle.tenders_advance() == 0
    tender.refresh_from_db()
    assert tender.status == T.TENDERING
    with time_machine.travel(tender.submission_deadline):
        assert lifecycle.tenders_advance() == 1
    tender.refresh_from_db()
    assert tender.status == T.CLOSED and tender.closed_at is not None
    verbs = list(
        AuditEvent.objects.filter(object_id=str(tender.pk), actor=None).values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["tender_enquiries_closed", "tender_closed"]


def test_a_late_run_moves_a_published_tender_through_to_closed(people):
    tender = f.tender_at("published", people=people)
    with time_machine.travel(tender.submission_deadline + timedelta(hours=3)):
        assert lifecycle.tenders_advance() == 2
    tender.refresh_from_db()
    assert tender.status == T.CLOSED


def test_advance_cannot_be_pushed_ahead_of_the_clock(people):
    tender = f.tender_at("published", people=people)
    assert lifecycle.tenders_advance(now=tender.submission_deadline + timedelta(days=1)) == 0
    tender.refresh_from_db()
    assert tender.status == T.PUBLISHED


@pytest.mark.parametrize("status", ["draft", "closed", "opened", "cancelled", "awarded"])
def test_advance_leaves_other_statuses_alone(people, status):
    tender = f.tender_at(status, people=people)
    with time_machine.travel(tender.opening_at + timedelta(days=30)):
        lifecycle.tenders_advance()
    tender.refresh_from_db()
    assert tender.status == status


def test_the_beat_task_runs_the_moves(people):
    from tenders.tasks import advance_tenders

    tender = f.tender_at("published", people=people)
    with time_machine.travel(tender.enquiries_deadline + timedelta(minutes=1)):
        assert advance_tenders.apply().get() == 1
    tender.refresh_from_db()
    assert tender.status == T.TENDERING


# --- cancel ------------------------------------------------------------------------------------
CANCELLABLE = {
    "draft",
    "published",
    "tendering",
    "closed",
    "opened",
    "technical_evaluation",
    "financial_evaluation",
}


@pytest.mark.parametrize("status", sorted(CANCELLABLE))
def test_cancel_from_each_allowed_status(people, status):
    tender = f.tender_at(status, people=people, bidders=[people.supplier])
    lifecycle.tender_cancel(actor=people.engineer, tender=tender, reason="Budget withdrawn.")
    tender.refresh_from_db()
    assert tender.status == T.CANCELLED and tender.cancel_reason == "Budget withdrawn."
    assert tender.cancelled_at is not None
    told = set(_kinds(kind="tender_cancelled"))
    if status == "draft":
        assert told == set()
    else:
        assert people.supplier.pk in told
        assert people.ineligible_supplier.pk not in told
        assert OcdsRelease.objects.filter(tender=tender, tags=["tenderCancellation"]).exists()


@pytest.mark.parametrize("status", sorted(set(ALL) - CANCELLABLE))
def test_cancel_is_refused_from_every_other_status(people, status):
    tender = f.tender_at(status, people=people)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.tender_cancel(actor=people.engineer, tender=tender, reason="Too late.")
    tender.refresh_from_db()
    assert tender.status == status


def test_cancel_needs_a_reason_and_an_engineer(people, member_a):
    tender = f.tender_at("published", people=people)
    with pytest.raises(ValidationError):
        lifecycle.tender_cancel(actor=people.engineer, tender=tender, reason="  ")
    with pytest.raises(PermissionDenied):
        lifecycle.tender_cancel(actor=member_a, tender=tender, reason="Mine.")
    tender.refresh_from_db()
    assert tender.status == T.PUBLISHED


# --- unsuccessful ------------------------------------------------------------------------------
UNSUCCESSFUL_FROM = {"opened", "technical_evaluation", "financial_evaluation"}


@pytest.mark.parametrize("status", sorted(UNSUCCESSFUL_FROM))
def test_mark_unsuccessful_from_each_allowed_status(people, status):
    tender = f.tender_at(status, people=people, bidders=[people.supplier])
    lifecycle.tender_mark_unsuccessful(actor=people.committee[0], tender=tender, reason="None.")
    tender.refresh_from_db()
    assert tender.status == T.UNSUCCESSFUL
    assert _kinds(kind="tender_unsuccessful").count(people.supplier.pk) == 1


@pytest.mark.parametrize("status", sorted(set(ALL) - UNSUCCESSFUL_FROM))
def test_mark_unsuccessful_is_refused_from_every_other_status(people, status):
    tender = f.tender_at(status, people=people)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.tender_mark_unsuccessful(actor=people.committee[0], tender=tender)
    tender.refresh_from_db()
    assert tender.status == status


def test_the_evaluation_marks_a_tender_unsuccessful_through_this_service(people):
    f.tender_at("unsuccessful", people=people)
    told = _kinds(kind="tender_unsuccessful")
    assert sorted(told) == sorted([people.supplier.pk, people.other_supplier.pk])


# --- the e-mails ---------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_tender_email_renders_in_both_languages(people, language):
    from portal.notifications import _render
    from tenders.services import addenda, clarifications

    people.supplier.preferred_language = language
    people.supplier.save()
    tender = f.tender_at("published", people=people)
    clarifications.clarification_publish_minutes(
        actor=people.engineer, tender=tender, text="Site visit on Monday."
    )
    addenda.addendum_issue(
        actor=people.engineer,
        tender=tender,
        description_ar="تغيير المواصفات.",
        description_en="The specifications change.",
        new_submission_deadline=tender.submission_deadline + timedelta(days=3),
    )
    lifecycle.tender_cancel(actor=people.engineer, tender=tender, reason="Budget withdrawn.")
    f.tender_at("unsuccessful", people=people)
    kinds = {
        "tender_published": tender.reference,
        "tender_clarification_published": "Site visit on Monday.",
        "tender_addendum_issued": (
            "تغيير المواصفات." if language == "ar" else "The specifications change."
        ),
        "tender_cancelled": "Budget withdrawn.",
        "tender_unsuccessful": "TND-",
    }
    for kind, expected in kinds.items():
        email = Notification.objects.filter(
            kind=kind, channel="email", recipient=people.supplier
        ).first()
        assert email is not None, kind
        rendered = _render(email)
        assert expected in rendered["text"] and expected in rendered["html"], kind
        assert rendered["subject"] and "{" not in rendered["subject"], kind
        title = tender.title_ar if language == "ar" else tender.title_en
        assert title in rendered["text"], kind
