"""The context processors cost nothing on a page that does not show their values, and one
query each on a page that does (issue 11: they ran on every page)."""

import pytest
from django.template import engines
from django.test import RequestFactory

from accounts.roles import Role
from tests.factories import UserFactory


def _render(source: str, user) -> str:
    request = RequestFactory().get("/ar/")
    request.user = user
    return engines["django"].from_string(source).render({}, request=request)


@pytest.fixture
def reviewer_user(db):
    return UserFactory(role=Role.REVIEWER)


def test_nothing_is_read_when_the_page_does_not_show_it(reviewer_user, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = _render("{{ DEPARTMENT_NAME_EN }}", reviewer_user)
    assert page


def test_each_value_is_read_once_however_often_the_page_shows_it(
    reviewer_user, django_assert_num_queries
):
    source = (
        "{% if is_staff_member %}staff{% endif %}"
        "{% if Role.REVIEWER in user_roles %} reviewer{% endif %}"
        "{% if Role.CUSTOMER in user_roles %} customer{% endif %}"
        " [{{ unread_notifications }}]{% if unread_notifications %} unread{% endif %}"
        "{% load i18n %}{% blocktranslate count n=unread_notifications %}{{ n }} item"
        "{% plural %}{{ n }} items{% endblocktranslate %}"
    )
    # the user's groups (both role values), the unread notifications.
    with django_assert_num_queries(2):
        page = _render(source, reviewer_user)
    assert page == "staff reviewer [0]0 items"


def test_past_99_unread_the_header_says_99_plus_without_counting_them_all(customer, client):
    from portal.models import Notification

    Notification.objects.bulk_create(
        Notification(recipient=customer, kind="note", channel=Notification.Channel.EMAIL)
        for _ in range(105)
    )
    client.force_login(customer)
    html = client.get("/en/profile/").content.decode()
    assert ">99+</span>" in html and 'aria-label="More than 99 unread"' in html
    from portal.notifications import notifications_unread_count

    assert notifications_unread_count(user=customer) == 100
