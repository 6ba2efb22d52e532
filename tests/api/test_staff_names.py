"""Issue #9 item 14: customers see the department, not the personal names of its staff, on the
transaction page and in the API alike (assignee, remark author, timeline actor, the timeline's
data.assignee); staff see the names in both (accounts.roles.staff_names_visible_to)."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import UserFactory
from tests.transactions.factories import transaction_at
from transactions import services
from transactions.models import Transaction

STAFF_NAMES = ("Mariam Agent-Name", "Omar Reviewer-Name", "Huda Colleague-Name")


@pytest.fixture
def returned(people, service, private_media):
    """A transaction returned with a remark by a reviewer it was handed to: every kind of staff
    name is on it (the agent and the reviewers on the timeline, the assignee, the remark's
    author, the assignment's data.assignee)."""
    for user, name in zip((people.agent, people.reviewer), STAFF_NAMES, strict=False):
        user.full_name = name
        user.save(update_fields=["full_name"])
    colleague = UserFactory(role=Role.REVIEWER, full_name=STAFF_NAMES[2])
    service.team.members.add(colleague)
    t = transaction_at(Transaction.Status.UNDER_REVIEW, service=service, people=people)
    services.transaction_assign(actor=people.reviewer, transaction=t, assignee=colleague)
    services.remark_add(actor=colleague, transaction=t, text="Show the setbacks.")
    services.transaction_return_remarks(actor=colleague, transaction=t)
    t.refresh_from_db()
    assert t.status == Transaction.Status.REMARKS_RETURNED and t.assignee == colleague
    return t, colleague


def _api_bodies(user, t) -> dict[str, dict | list]:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    bodies = {}
    for name, path in {
        "list": "/api/v1/transactions/",
        "detail": f"/api/v1/transactions/{t.pk}/",
        "timeline": f"/api/v1/transactions/{t.pk}/timeline/",
    }.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.content)
        bodies[name] = response.json()
    return bodies


def _page(client, user, t) -> str:
    client.force_login(user)
    with translation.override("en"):
        path = reverse("transactions:detail", args=[t.pk])
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_customer_sees_no_staff_name_on_the_page_nor_in_the_api(client, people, returned):
    t, _colleague = returned
    page = _page(client, people.customer, t)
    bodies = _api_bodies(people.customer, t)
    dumped = json.dumps(bodies, ensure_ascii=False)
    for name in STAFF_NAMES:
        assert name not in page
        assert name not in dumped
    # The fields are there, without the person; the customer's own name stays.
    detail = bodies["detail"]
    assert detail["assignee"] is None
    assert bodies["list"]["results"][0]["assignee"] is None
    assert [r["author"] for r in detail["remarks"]] == [None]
    assigned = next(e for e in bodies["timeline"] if e["verb"] == "assigned")
    assert assigned["actor"] is None and "assignee" not in assigned["data"]
    created = next(e for e in bodies["timeline"] if e["verb"] == "created")
    assert created["actor"]["full_name"] == people.customer.full_name
    assert people.customer.full_name in page
    assert "The department" in page


@pytest.mark.parametrize("persona", ["agent", "reviewer"])
def test_staff_see_the_staff_names_on_the_page_and_in_the_api(client, people, returned, persona):
    t, colleague = returned
    viewer = getattr(people, persona)
    page = _page(client, viewer, t)
    bodies = _api_bodies(viewer, t)
    for name in STAFF_NAMES:
        assert name in page
    detail = bodies["detail"]
    assert detail["assignee"] == {"id": colleague.pk, "full_name": colleague.full_name}
    assert [r["author"]["id"] for r in detail["remarks"]] == [colleague.pk]
    assigned = next(e for e in bodies["timeline"] if e["verb"] == "assigned")
    assert assigned["actor"]["full_name"] == people.reviewer.full_name
    assert assigned["data"]["assignee"] == colleague.full_name
    claimed = next(e for e in bodies["timeline"] if e["verb"] == "claimed")
    assert claimed["actor"]["full_name"] == people.agent.full_name
