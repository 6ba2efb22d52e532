"""The audit log: what a record holds, object timelines, and that nobody can change or delete an
event — not the ORM, not raw SQL on PostgreSQL, not the admin."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

from accounts.models import Organization
from portal.audit import AuditContextMiddleware, audit_record, audit_timeline
from portal.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def person(db):
    return UserFactory(full_name="Audit Person", email="audit@example.ae")


def test_record_stores_actor_verb_object_data_and_the_request_ip(rf, person):
    organization = OrganizationFactory()

    def view(request):
        return audit_record(
            actor=person,
            verb="organization_checked",
            obj=organization,
            from_status="new",
            to_status="checked",
            data={"note": "ok", "n": 2},
        )

    recorded = AuditContextMiddleware(view)(rf.get("/", REMOTE_ADDR="10.20.30.40"))

    event = AuditEvent.objects.get(pk=recorded.pk)
    assert event.actor == person
    assert event.verb == "organization_checked"
    assert event.content_type == ContentType.objects.get_for_model(Organization)
    assert event.object_id == str(organization.pk)
    assert event.subject == organization
    assert (event.from_status, event.to_status) == ("new", "checked")
    assert event.data == {"note": "ok", "n": 2}
    assert event.ip == "10.20.30.40"
    assert event.created_at is not None


def test_ip_is_forgotten_after_the_request_and_anonymous_actor_is_none(rf, person):
    organization = OrganizationFactory()
    AuditContextMiddleware(lambda request: None)(rf.get("/", REMOTE_ADDR="10.0.0.1"))

    event = audit_record(actor=AnonymousUser(), verb="looked", obj=organization)

    event.refresh_from_db()
    assert event.ip is None
    assert event.actor is None
    assert event.data == {}


def test_timeline_is_one_objects_events_oldest_first_in_one_query(
    person, django_assert_num_queries
):
    mine, other = OrganizationFactory(), OrganizationFactory()
    second_actor = UserFactory()
    audit_record(actor=person, verb="first", obj=mine)
    audit_record(actor=person, verb="elsewhere", obj=other)
    audit_record(actor=second_actor, verb="second", obj=mine)
    audit_record(actor=None, verb="third", obj=mine)
    audit_record(actor=person, verb="elsewhere again", obj=other)

    events = audit_timeline(obj=mine)
    # One query however many events: the actors come with them (select_related).
    with django_assert_num_queries(1):
        seen = [(e.verb, e.actor.email if e.actor else None) for e in events]

    assert seen == [("first", person.email), ("second", second_actor.email), ("third", None)]
    assert [e.verb for e in audit_timeline(obj=other)] == ["elsewhere", "elsewhere again"]


def test_timeline_query_count_does_not_grow_with_events(person, django_assert_num_queries):
    organization = OrganizationFactory()
    for i in range(30):
        audit_record(actor=UserFactory() if i % 3 else person, verb=f"v{i}", obj=organization)
    events = audit_timeline(obj=organization)
    with django_assert_num_queries(1):
        actors = {e.actor.pk for e in events}
    assert len(actors) == 21


def test_python_refuses_to_change_or_delete_an_event(person):
    event = audit_record(actor=person, verb="created", obj=OrganizationFactory())

    event.verb = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.get(pk=event.pk).verb == "created"


def test_database_refuses_update_and_delete(person):
    event = audit_record(actor=person, verb="created", obj=OrganizationFactory())

    if connection.vendor == "postgresql":
        # The trigger of migration 0002 refuses whoever asks, raw SQL and the ORM alike.
        for sql in (
            "UPDATE portal_auditevent SET verb = 'x'",
            "DELETE FROM portal_auditevent",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(verb="x")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    else:
        # Other databases have no trigger; the model's own guard is what protects the log.
        event.verb = "x"
        with pytest.raises(ValueError):
            event.save()
        with pytest.raises(ValueError):
            event.delete()

    assert list(AuditEvent.objects.values_list("pk", "verb")) == [(event.pk, "created")]


# --- the admin: read-only ---------------------------------------------------------------------
def test_admin_lists_and_filters_events_but_cannot_change_add_or_delete(client, admin_user):
    organization = OrganizationFactory()
    kept = audit_record(actor=admin_user, verb="organization_checked", obj=organization)
    audit_record(actor=admin_user, verb="zz_filtered_out", obj=organization)
    client.force_login(admin_user)

    listing = client.get("/admin/portal/auditevent/", {"verb": "organization_checked"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [kept]
    assert f"/admin/portal/auditevent/{kept.pk}/change/" in listing.content.decode()

    change_url = f"/admin/portal/auditevent/{kept.pk}/change/"
    assert client.get(change_url).status_code == 200  # view-only page
    assert client.post(change_url, {"verb": "tampered"}).status_code == 403
    assert client.get(f"/admin/portal/auditevent/{kept.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/portal/auditevent/{kept.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/portal/auditevent/add/").status_code == 403
    # The bulk "delete selected" action is not offered either.
    assert "delete_selected" not in listing.content.decode()
    client.post(
        "/admin/portal/auditevent/",
        {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"},
    )

    assert AuditEvent.objects.get(pk=kept.pk).verb == "organization_checked"
    assert AuditEvent.objects.count() == 2
