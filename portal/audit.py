"""The audit log: every service writes one event per change; timelines are read from it."""

from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from portal.models import AuditEvent
from portal.net import client_ip

# The client IP of the request being served, set by AuditContextMiddleware, so that services
# need not pass the request around.
current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def audit_record(
    *,
    actor,
    verb: str,
    obj: models.Model,
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        from_status=from_status or "",
        to_status=to_status or "",
        data=data or {},
        ip=current_ip.get(),
    )


def audit_timeline(*, obj: models.Model) -> QuerySet[AuditEvent]:
    """Everything that happened to one object, oldest first, with the actor loaded."""
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Behind a load balancer REMOTE_ADDR is the balancer; client_ip reads the trusted hop.
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
