"""The one guard every status transition goes through."""

from collections.abc import Callable, Iterable, Mapping

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from portal.audit import audit_record
from portal.errors import DomainError, TransitionNotAllowed


@transaction.atomic
def transition(
    *,
    obj: models.Model,
    to: str,
    allowed_from: Iterable[str],
    actor,
    verb: str,
    timestamp_field: str | None = None,
    condition: Callable[[models.Model], bool] | None = None,
    changes: dict | None = None,
    data: dict | None = None,
    on_commit: Iterable[Callable[[], None]] = (),
):
    """Move `obj` to status `to` if its current status is in `allowed_from`.

    Locks the row, re-reads the status under the lock, checks `condition` (a time or business
    rule, given the locked row), sets status, the optional timestamp field and `changes`,
    writes the audit event and queues `on_commit` callbacks. Returns the locked, updated row
    and refreshes `obj` in place.

    Raises TransitionNotAllowed when the status (or condition) does not allow the move; then
    nothing is changed.
    """
    model = type(obj)
    locked = model._default_manager.select_for_update().get(pk=obj.pk)
    from_status = locked.status
    if from_status not in set(allowed_from):
        raise TransitionNotAllowed()
    if condition is not None and not condition(locked):
        raise TransitionNotAllowed()
    fields = ["status"]
    locked.status = to
    if timestamp_field:
        setattr(locked, timestamp_field, timezone.now())
        fields.append(timestamp_field)
    for name, value in (changes or {}).items():
        setattr(locked, name, value)
        fields.append(name)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        fields.append("updated_at")
    locked.save(update_fields=fields)
    audit_record(
        actor=actor, verb=verb, obj=locked, from_status=from_status, to_status=to, data=data
    )
    for callback in on_commit:
        transaction.on_commit(callback)
    for name in fields:
        setattr(obj, name, getattr(locked, name))
    return locked


def checks_passing(checks: Mapping[str, Callable[..., None]], **kwargs) -> set[str]:
    """The names of the checks that pass for `kwargs`. A service's check raises DomainError or
    PermissionDenied to refuse; an app's allowed_actions offers exactly what passes, so pages
    and the API cannot offer what the services would refuse."""
    allowed = set()
    for name, check in checks.items():
        try:
            check(**kwargs)
        except (DomainError, PermissionDenied):
            continue
        allowed.add(name)
    return allowed
