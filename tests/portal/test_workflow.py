"""The workflow guard (portal.workflow.transition) and how a refused move reaches people: HTTP 409
in the API, a message and a redirect in the UI.

The guard is exercised on Notification, a real model with a status
(pending/sending/sent/undeliverable) and a timestamp (sent_at).
"""

import pytest
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import transaction
from django.utils import timezone, translation
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory

from portal.api import exception_handler
from portal.errors import DomainError, TransitionNotAllowed
from portal.middleware import DomainErrorMiddleware
from portal.models import AuditEvent, Notification
from portal.workflow import transition
from tests.factories import UserFactory

Status = Notification.Status


@pytest.fixture
def actor(db):
    return UserFactory(full_name="Workflow Actor")


def _notification(*, status: str = Status.PENDING) -> Notification:
    return Notification.objects.create(
        recipient=UserFactory(), kind="organization_registered", status=status
    )


def _send(notification: Notification, actor, **kwargs) -> Notification:
    return transition(
        obj=notification,
        to=Status.SENT,
        allowed_from=[Status.PENDING],
        actor=actor,
        verb="notification_sent",
        timestamp_field="sent_at",
        **kwargs,
    )


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb="notification_sent"))


@pytest.mark.parametrize(
    "source, allowed",
    [(Status.PENDING, True), (Status.SENT, False), (Status.UNDELIVERABLE, False)],
)
def test_each_source_status_is_allowed_or_refused(actor, source, allowed):
    notification = _notification(status=source)
    if allowed:
        _send(notification, actor)
        notification.refresh_from_db()
        assert notification.status == Status.SENT
        assert len(_events()) == 1
    else:
        with pytest.raises(TransitionNotAllowed):
            _send(notification, actor)
        notification.refresh_from_db()
        assert notification.status == source
        assert notification.sent_at is None
        assert _events() == []


def test_allowed_move_sets_status_timestamp_and_writes_one_audit_event(actor):
    notification = _notification()
    before = timezone.now()

    locked = _send(notification, actor, changes={"attempts": 3}, data={"why": "test"})

    # The caller's instance is updated in place, and the row in the database too.
    assert notification.status == Status.SENT
    assert locked.pk == notification.pk
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.attempts == 3
    assert before <= notification.sent_at <= timezone.now()

    [event] = AuditEvent.objects.all()
    assert event.verb == "notification_sent"
    assert event.actor == actor
    assert (event.from_status, event.to_status) == ("pending", "sent")
    assert event.content_type == ContentType.objects.get_for_model(Notification)
    assert event.object_id == str(notification.pk)
    assert event.data == {"why": "test"}


def test_forbidden_move_raises_and_changes_nothing(actor):
    notification = _notification(status=Status.UNDELIVERABLE)

    with pytest.raises(TransitionNotAllowed) as caught:
        _send(notification, actor, changes={"attempts": 9})

    assert caught.value.code == "transition_not_allowed"
    assert notification.status == Status.UNDELIVERABLE
    notification.refresh_from_db()
    assert notification.status == Status.UNDELIVERABLE
    assert notification.attempts == 0
    assert notification.sent_at is None
    assert AuditEvent.objects.count() == 0


def test_condition_false_refuses_and_sees_the_locked_row(actor):
    notification = _notification()
    seen = []

    def condition(row: Notification) -> bool:
        seen.append((row.pk, row.status))
        return row.attempts < 3

    Notification.objects.filter(pk=notification.pk).update(attempts=3)
    # The caller's copy is stale (attempts 0); the guard re-reads the row under the lock.
    with pytest.raises(TransitionNotAllowed):
        _send(notification, actor, condition=condition)

    assert seen == [(notification.pk, Status.PENDING)]
    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert AuditEvent.objects.count() == 0


def test_condition_true_allows(actor):
    notification = _notification()
    _send(notification, actor, condition=lambda row: row.attempts < 3)
    notification.refresh_from_db()
    assert notification.status == Status.SENT


def test_guard_reads_the_status_from_the_database_not_the_callers_copy(actor):
    notification = _notification()
    Notification.objects.filter(pk=notification.pk).update(status=Status.UNDELIVERABLE)
    with pytest.raises(TransitionNotAllowed):
        _send(notification, actor)
    assert AuditEvent.objects.count() == 0


def test_on_commit_callbacks_run_once_after_commit(actor, django_capture_on_commit_callbacks):
    notification = _notification()
    calls = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send(notification, actor, on_commit=[lambda: calls.append("done")])
        assert calls == []
    assert len(callbacks) == 1
    assert calls == ["done"]


def test_failure_after_the_transition_in_the_outer_transaction_leaves_nothing(
    actor, django_capture_on_commit_callbacks
):
    notification = _notification()
    calls = []

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _send(notification, actor, on_commit=[lambda: calls.append("side effect")])
        raise RuntimeError("the rest of the service failed")

    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert notification.sent_at is None
    assert AuditEvent.objects.count() == 0
    assert callbacks == []
    assert calls == []


def test_failure_inside_the_guard_after_saving_the_status_leaves_nothing(actor, monkeypatch):
    notification = _notification()

    def broken_audit(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr("portal.workflow.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        _send(notification, actor)

    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert notification.sent_at is None


# --- the API: a domain error is HTTP 409 ------------------------------------------------------
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def _refusing_view(request):
    raise TransitionNotAllowed()


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def _custom_code_view(request):
    raise DomainError("The tender is closed.", code="tender_closed")


def test_api_turns_transition_not_allowed_into_409():
    request = APIRequestFactory().post("/api/v1/anything/", {}, format="json")
    with translation.override("en"):
        response = _refusing_view(request)
    assert response.status_code == 409
    assert response.data == {
        "error": {
            "code": "transition_not_allowed",
            "message": "This action is not allowed in the current status.",
        }
    }


def test_api_keeps_the_code_of_any_domain_error():
    response = _custom_code_view(APIRequestFactory().post("/api/v1/anything/"))
    assert response.status_code == 409
    assert response.data == {"error": {"code": "tender_closed", "message": "The tender is closed."}}


def test_exception_handler_directly_maps_domain_error_and_leaves_other_errors_alone():
    context = {"view": None, "args": (), "kwargs": {}, "request": None}
    response = exception_handler(DomainError(), context)
    assert response.status_code == 409
    assert response.data["error"]["code"] == "conflict"
    # Not an API error at all: DRF lets it propagate (a 500), and so does the handler.
    assert exception_handler(ValueError("boom"), context) is None


# --- the UI: a domain error is a message on the page one came from ----------------------------
def _page_request(rf, path: str = "/ar/organization/", **extra):
    request = rf.post(path, **extra)
    SessionMiddleware(lambda r: None).process_request(request)
    request._messages = FallbackStorage(request)
    return request


def _messages(request) -> list[tuple[int, str]]:
    return [(m.level, str(m.message)) for m in messages.get_messages(request)]


def test_middleware_turns_domain_error_into_message_and_redirect_back(rf):
    request = _page_request(rf, HTTP_REFERER="http://testserver/ar/organization/?tab=1")
    response = DomainErrorMiddleware(lambda r: None).process_exception(
        request, DomainError("Not now.", code="not_now")
    )
    assert response.status_code == 302
    assert response.url == "http://testserver/ar/organization/?tab=1"
    assert _messages(request) == [(messages.ERROR, "Not now.")]


def test_middleware_does_not_redirect_to_another_site(rf):
    request = _page_request(rf, HTTP_REFERER="https://evil.example/phish")
    with translation.override("en"):
        response = DomainErrorMiddleware(lambda r: None).process_exception(
            request, TransitionNotAllowed()
        )
    assert response.status_code == 302
    assert response.url == "/"
    assert _messages(request) == [
        (messages.ERROR, "This action is not allowed in the current status.")
    ]


def test_middleware_ignores_other_errors_and_api_paths(rf):
    middleware = DomainErrorMiddleware(lambda r: None)
    assert middleware.process_exception(_page_request(rf), ValueError("boom")) is None
    api_request = _page_request(rf, "/api/v1/me/")
    assert middleware.process_exception(api_request, DomainError()) is None
    assert _messages(api_request) == []
