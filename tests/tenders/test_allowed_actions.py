"""One rule, one place (STYLE 16): for every tender status × persona, the actions that the pages
and the API offer (tenders.selectors.allowed_actions) are exactly those the services accept;
the tender page shows a control for each offered action and none for the others; the API's
detail lists the same actions, each with an endpoint."""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.errors import DomainError
from tenders import api, selectors
from tenders.models import Award, Bid, Clarification, MemberKey, Objection, Tender
from tenders.services import (
    addenda,
    award,
    bids,
    clarifications,
    evaluation,
    lifecycle,
    opening,
)
from tests.tenders import factories as f
from tests.tenders.journey import RATES, bid_input, tender_in

S = Tender.Status
PERSONAS = [
    "supplier",  # has a live bid from "tendering" on
    "other_supplier",  # also bids
    "ineligible_supplier",
    "engineer",
    "member_a",
    "member_b",
    "outsider_member",  # a committee member, not on this tender's committee
    "admin",
]
# Every state the page and API meet: the statuses, plus a draft ready to publish, a tendering
# tender after an addendum (reconfirmation), an awarded one with an objection, one recommended.
STATES = [
    "draft",
    "ready",
    "published",
    "tendering",
    "tendering_three_members",  # a member can be replaced only with two others to agree
    "reconfirm",
    "closed",
    "opened",
    "technical_evaluation",
    "financial_evaluation",
    "recommended",
    "awarded",
    "objected",
    "contracted",
    "cancelled",
    "unsuccessful",
]
# Refusals that name what is still missing rather than who or when: the action is open to the
# user, and the button is how the user learns what to finish (as services.Incomplete is for
# transactions).
INCOMPLETE = {"compliance_undecided", "scores_missing"}


@pytest.fixture
def persons(people, admin_user):
    outsider = f.committee_user(email="outsider@example.ae", passphrase="an outsider passphrase")
    return {
        "supplier": people.supplier,
        "other_supplier": people.other_supplier,
        "ineligible_supplier": people.ineligible_supplier,
        "engineer": people.engineer,
        "member_a": people.committee[0],
        "member_b": people.committee[1],
        "outsider_member": outsider,
        "admin": admin_user,
    }


PASSPHRASE = {0: f.PASSPHRASES[0], 1: f.PASSPHRASES[1]}


def _passphrase(user, tender) -> str:
    members = [m.user for m in tender.committee.order_by("added_at", "id")]
    for index, member in enumerate(members[:2]):
        if member.pk == user.pk:
            return PASSPHRASE[index]
    return "an outsider passphrase"


def _own_bid(user, tender) -> Bid:
    bid = Bid.objects.filter(
        tender=tender, organization_id=user.organization_id, status=Bid.Status.SUBMITTED
    ).first()
    if bid is None:
        raise Http404
    return bid


def _question(tender) -> Clarification:
    question = tender.clarifications.filter(published_at__isnull=True).first()
    if question is None:  # one is asked for the attempt (and rolled back with it)
        asker = Bid.objects.filter(tender=tender).first()
        question = Clarification.objects.create(
            tender=tender,
            asked_by=asker.submitted_by if asker else tender.created_by,
            question="Is the site survey included?",
        )
    return question


def _objection(tender) -> Objection:
    objection = tender.objections.filter(answered_at__isnull=True).first()
    if objection is None:
        raise Http404
    return objection


def _bid_to_score(tender) -> Bid:
    bid = tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk").first()
    if bid is None:
        raise Http404
    return bid


def _sign(user, tender):
    made = Award.objects.filter(tender=tender).first()
    if made is None:
        raise Http404
    signed_on = max(timezone.localdate(), timezone.localdate(made.standstill_ends_at))
    return award.contract_sign(actor=user, tender=tender, signed_on=signed_on, value=made.amount)


def _replace(user, tender):
    """Replace the committee's last member by a committee user outside it, with the other
    members' passphrases (a two-member committee has too few others to agree)."""
    members = [m.user for m in tender.committee.order_by("added_at", "id")]
    newcomer = (
        MemberKey.objects.exclude(user__in=members).select_related("user").order_by("pk").first()
    )
    if newcomer is None or not members:
        raise Http404
    others = members[:-1]
    approvals = [(m, _passphrase(m, tender)) for m in others]
    return opening.committee_member_replace(
        actor=user, tender=tender, old_user=members[-1], new_user=newcomer.user, approvals=approvals
    )


# Each action of allowed_actions through its service, with valid input.
ATTEMPTS: dict[str, Callable] = {
    "edit": lambda u, t: lifecycle.tender_update(actor=u, tender=t, title_en="Renamed"),
    "publish": lambda u, t: lifecycle.tender_publish(actor=u, tender=t),
    "cancel": lambda u, t: lifecycle.tender_cancel(actor=u, tender=t, reason="Scope moved."),
    "ask": lambda u, t: clarifications.clarification_ask(actor=u, tender=t, question="When?"),
    "answer": lambda u, t: clarifications.clarification_answer_publish(
        actor=u, clarification=_question(t), answer="Yes."
    ),
    "addendum": lambda u, t: addenda.addendum_issue(
        actor=u, tender=t, description_ar="تعديل", description_en="A change"
    ),
    "bid": lambda u, t: bids.bid_submit(actor=u, tender=t, **bid_input(t, RATES["supplier"])),
    "change-bid": lambda u, t: bids.bid_change(
        actor=u, bid=_own_bid(u, t), **bid_input(t, RATES["other_supplier"])
    ),
    "withdraw-bid": lambda u, t: bids.bid_withdraw(actor=u, bid=_own_bid(u, t)),
    "reconfirm-bid": lambda u, t: bids.bid_reconfirm(actor=u, bid=_own_bid(u, t)),
    "open": lambda u, t: opening.tender_open_confirm(
        actor=u, tender=t, passphrase=_passphrase(u, t)
    ),
    "declare": lambda u, t: evaluation.conflict_declare(actor=u, tender=t, no_conflict=True),
    "score": lambda u, t: evaluation.technical_compliance_set(
        actor=u, bid=_bid_to_score(t), compliant=True
    ),
    "complete-technical": lambda u, t: evaluation.tender_technical_complete(actor=u, tender=t),
    "recommend": lambda u, t: evaluation.recommendation_make(actor=u, tender=t),
    "approve": lambda u, t: evaluation.recommendation_approve(actor=u, tender=t),
    "award": lambda u, t: award.award_make(actor=u, tender=t),
    "object": lambda u, t: award.objection_lodge(actor=u, tender=t, text="Our price was misread."),
    "answer-objection": lambda u, t: award.objection_answer(
        actor=u, objection=_objection(t), answer="It was read as submitted."
    ),
    "sign-contract": lambda u, t: _sign(u, t),
    "replace-member": _replace,
}
# Offered by allowed_actions, taken on no page or API endpoint (tested at the service).
SERVICE_ONLY: set[str] = set()


class _Undo(Exception):
    """Rolls back an accepted attempt, so each action is tried on the same state."""


def _accepted(action: str, user, pk: int) -> bool:
    try:
        with db_transaction.atomic():
            ATTEMPTS[action](user, Tender.objects.get(pk=pk))
            raise _Undo
    except _Undo:
        return True
    except DomainError as error:
        return error.code in INCOMPLETE
    except (PermissionDenied, Http404):
        return False


def _state(name: str, people, clock) -> Tender:
    if name == "tendering_three_members":
        third = f.committee_user(email="third@example.ae", passphrase="third member's phrase")
        return f.tender_at(
            "tendering", people=replace(people, committee=[*people.committee, third])
        )
    if name == "reconfirm":
        tender = tender_in("tendering", people=people, clock=clock)
        addenda.addendum_issue(
            actor=people.engineer, tender=tender, description_ar="تعديل", description_en="Change"
        )
        return tender
    if name == "recommended":
        tender = tender_in("financial_evaluation", people=people, clock=clock)
        evaluation.recommendation_make(actor=people.committee[0], tender=tender)
        evaluation.recommendation_approve(actor=people.committee[0], tender=tender)
        return tender
    if name == "objected":
        tender = tender_in("awarded", people=people, clock=clock)
        award.objection_lodge(actor=people.other_supplier, tender=tender, text="Misread.")
        return tender
    if name == "contracted":
        return tender_in("contracted", people=people, clock=clock)
    tender = tender_in(name, people=people, clock=clock)
    if name == "awarded":
        # After the standstill, so that the contract may be signed.
        clock.move_to(tender.award.standstill_ends_at + timedelta(hours=1), tick=True)
    return tender


@pytest.mark.parametrize("state", STATES)
def test_offered_is_exactly_what_the_services_accept(state, people, persons, time_machine):
    tender = _state(state, people, time_machine)
    for persona in PERSONAS:
        user = persons[persona]
        visible = selectors.tenders_visible_to(user).filter(pk=tender.pk).exists()
        offered = (
            selectors.allowed_actions(
                user=user, tender=selectors.tender_get_for_user(user=user, pk=tender.pk)
            )
            - SERVICE_ONLY
            if visible
            else set()
        )
        assert offered <= set(ATTEMPTS), (state, persona, offered - set(ATTEMPTS))
        accepted = {a for a in ATTEMPTS if _accepted(a, user, tender.pk)}
        assert offered == accepted, (state, persona, offered, accepted)


# The tender page's control for each action (data-action), where the page offers it.
PAGE_CONTROLS = {
    "edit": "edit",
    "publish": "publish",
    "cancel": "cancel",
    "ask": "ask",
    "answer": "answer",
    "addendum": "addendum",
    "bid": "bid",
    "change-bid": "change-bid",
    "withdraw-bid": "withdraw-bid",
    "reconfirm-bid": "reconfirm-bid",
    "open": "open",
    "award": "award",
    "object": "object",
    "answer-objection": "answer-objection",
    "sign-contract": "sign-contract",
    "replace-member": "replace-member",
}
# Offered on the evaluation page rather than the tender page.
EVALUATION_CONTROLS = {
    "declare": "declare",
    "score": "score",
    "complete-technical": "complete-technical",
    "recommend": "recommend",
    "approve": "approve",
}


@pytest.mark.parametrize("state", ["published", "tendering", "reconfirm", "objected"])
def test_the_pages_show_a_control_for_each_offered_action_only(
    state, client, settings, people, persons, time_machine
):
    settings.STAFF_MFA_REQUIRED = False
    tender = _state(state, people, time_machine)
    if state == "published":
        clarifications.clarification_ask(actor=people.supplier, tender=tender, question="When?")
    for persona in PERSONAS:
        user = persons[persona]
        client.force_login(user)
        response = client.get(f"/en/tenders/{tender.pk}/")
        if response.status_code == 404:
            continue
        html = response.content.decode()
        offered = selectors.allowed_actions(user=user, tender=tender)
        waiting = tender.clarifications.filter(published_at__isnull=True).exists()
        for action, control in PAGE_CONTROLS.items():
            if action == "answer" and not waiting:
                continue  # the answer form sits on each waiting question
            shown = f'data-action="{control}"' in html
            assert shown == (action in offered), (state, persona, action)


def test_the_evaluation_page_shows_a_control_for_each_offered_action_only(
    client, settings, people, persons, time_machine
):
    settings.STAFF_MFA_REQUIRED = False
    tender = _state("opened", people, time_machine)
    for persona in ("member_a", "engineer", "outsider_member"):
        user = persons[persona]
        client.force_login(user)
        html = client.get(f"/en/staff/tenders/{tender.pk}/evaluation/").content.decode()
        offered = selectors.allowed_actions(user=user, tender=tender)
        for action, control in EVALUATION_CONTROLS.items():
            assert (f'data-action="{control}"' in html) == (action in offered), (persona, action)


def test_the_api_offers_what_the_page_offers_each_with_an_endpoint(people, time_machine):
    tender = _state("tendering", people, time_machine)
    client = APIClient()
    for user in (people.supplier, people.engineer, people.committee[0]):
        client.force_authenticate(user)
        offered = client.get(f"/api/v1/tenders/{tender.pk}/").json()["allowed_actions"]
        assert offered == sorted(selectors.allowed_actions(user=user, tender=tender))
    assert set(ATTEMPTS) <= set(api.ACTION_ENDPOINTS)
    names = {p.name for p in api.urlpatterns}
    assert set(api.ACTION_ENDPOINTS.values()) <= names
    assert reverse("api:tender-bid-submit", args=[tender.pk]).endswith("/bid/submit/")
