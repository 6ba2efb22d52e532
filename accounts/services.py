"""Writes on users and organizations. Each takes the acting user as actor=."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from accounts.models import Organization, User
from accounts.roles import Role
from portal.audit import audit_record
from portal.documents import document_issue
from portal.errors import DomainError
from portal.files import private_file_store
from portal.notifications import notify
from portal.references import reference_next

LICENCE_KINDS = ("pdf", "jpeg", "png")


class NotAllowed(DomainError):
    code = "not_allowed"
    default_message = _("You cannot change this organization.")


def _store_licence_copy(*, actor: User, organization: Organization, upload) -> None:
    private_file_store(
        actor=actor,
        upload=upload,
        purpose="trade_licence",
        attach_to=organization,
        kinds=LICENCE_KINDS,
    )


@transaction.atomic
def profile_update(*, actor: User, full_name: str, mobile: str, preferred_language: str) -> User:
    """Change the actor's own name, mobile and language; audited when anything changed."""
    # Compare with the stored row, not with `actor`: a bound ModelForm has already written the
    # new values onto request.user, and nothing would look changed.
    stored = User.objects.select_for_update().get(pk=actor.pk)
    wanted = {"full_name": full_name, "mobile": mobile, "preferred_language": preferred_language}
    changed = {name: value for name, value in wanted.items() if getattr(stored, name) != value}
    for name, value in wanted.items():
        setattr(stored, name, value)
        setattr(actor, name, value)
    if changed:
        stored.save(update_fields=sorted(changed))
        audit_record(
            actor=actor, verb="profile_updated", obj=actor, data={"fields": sorted(changed)}
        )
    return actor


def signup_record(*, actor: User) -> None:
    """A person has just registered themselves (allauth's sign-up): they become a customer and
    the registration is audited."""
    actor.groups.add(Group.objects.get(name=Role.CUSTOMER))
    audit_record(actor=actor, verb="signed_up", obj=actor, data={"email": actor.email})


# --- API tokens (django-rest-knox: only a hash is stored; each token expires) ---------------
def _token_id(token: AuthToken) -> str:
    # The digest is the hash of the token (its primary key); a prefix names it in the audit log
    # without revealing anything of the token itself.
    return token.digest[:16]


@transaction.atomic
def api_token_issue(*, actor: User) -> tuple[AuthToken, str]:
    """Issue an API token to the actor, who has already proved who they are (password, and TOTP
    for staff). Returns the stored token and the secret string, shown this once only."""
    # Expired tokens can no longer authenticate; they are swept here rather than on every call.
    AuthToken.objects.filter(user=actor, expiry__lt=timezone.now()).delete()
    token, secret = AuthToken.objects.create(user=actor)
    audit_record(
        actor=actor,
        verb="api_token_issued",
        obj=actor,
        data={"token": _token_id(token), "expiry": token.expiry.isoformat()},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: str) -> None:
    """Revoke one of the actor's own API tokens. Raises Http404 for anyone else's."""
    token = get_object_or_404(AuthToken.objects.select_for_update(), pk=token_id, user=actor)
    audit_record(actor=actor, verb="api_token_revoked", obj=actor, data={"token": _token_id(token)})
    token.delete()


@transaction.atomic
def api_tokens_revoke_all(*, actor: User, user: User, reason: str) -> int:
    """Revoke every API token of `user` (their MFA or password changed). Returns how many."""
    tokens = list(AuthToken.objects.select_for_update().filter(user=user))
    if tokens:
        AuthToken.objects.filter(pk__in=[t.pk for t in tokens]).delete()
        audit_record(
            actor=actor,
            verb="api_tokens_revoked",
            obj=user,
            data={"tokens": sorted(_token_id(t) for t in tokens), "reason": reason},
        )
    return len(tokens)


def _both_languages(choice) -> tuple[str, str]:
    with translation.override("ar"):
        ar = str(choice.label)
    with translation.override("en"):
        en = str(choice.label)
    return ar, en


@transaction.atomic
def organization_create(*, actor: User, data: dict, licence_file=None) -> Organization:
    """Register an organization; the person who registers it becomes its manager and receives
    a registration receipt (an issued document with a reference number) and an e-mail.

    Raises NotAllowed when the actor already belongs to an organization.
    """
    actor = User.objects.select_for_update().get(pk=actor.pk)
    if actor.organization_id:
        raise NotAllowed
    data = dict(data)
    categories = data.pop("categories", [])
    organization = Organization.objects.create(**data)
    organization.categories.set(categories)
    actor.organization = organization
    actor.organization_role = User.OrganizationRole.MANAGER
    actor.save(update_fields=["organization", "organization_role"])
    if licence_file is not None:
        _store_licence_copy(actor=actor, organization=organization, upload=licence_file)
    audit_record(
        actor=actor,
        verb="organization_registered",
        obj=organization,
        data={"kind": organization.kind},
    )

    reference = reference_next(prefix="ORG")
    kind_ar, kind_en = _both_languages(Organization.Kind(organization.kind))
    registered_at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    document_issue(
        actor=actor,
        kind="organization_receipt",
        reference=reference,
        owner=actor,
        subject=organization,
        title_ar="إيصال تسجيل جهة",
        title_en="Organization registration receipt",
        template="accounts/pdf/organization_receipt.html",
        snapshot={
            "name_ar": organization.name_ar,
            "name_en": organization.name_en,
            "kind_ar": kind_ar,
            "kind_en": kind_en,
            "trade_licence_number": organization.trade_licence_number,
            "trade_licence_expiry": str(organization.trade_licence_expiry or ""),
            "registered_by": actor.full_name,
            "registered_at": registered_at,
        },
        public_summary={
            "rows": [
                ["اسم الجهة", "Organization", f"{organization.name_ar} / {organization.name_en}"],
                ["نوع الجهة", "Kind", f"{kind_ar} / {kind_en}"],
                ["تاريخ التسجيل", "Registered on", registered_at],
            ]
        },
    )
    notify(
        recipient=actor,
        kind="organization_registered",
        obj=organization,
        context={
            "reference": reference,
            "organization_name": organization.name_ar
            if actor.preferred_language == "ar"
            else organization.name_en,
        },
        link=reverse("accounts:organization"),
    )
    return organization


@transaction.atomic
def organization_update(
    *, actor: User, organization: Organization, data: dict, licence_file=None
) -> Organization:
    """Change an organization's details. Raises NotAllowed unless the actor manages it."""
    if not (actor.manages_organization and actor.organization_id == organization.pk):
        raise NotAllowed
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    data = dict(data)
    categories = data.pop("categories", None)
    changed = sorted(name for name, value in data.items() if getattr(organization, name) != value)
    for field, value in data.items():
        setattr(organization, field, value)
    organization.save()
    if categories is not None:
        organization.categories.set(categories)
    if licence_file is not None:
        _store_licence_copy(actor=actor, organization=organization, upload=licence_file)
        changed.append("trade_licence_copy")
    audit_record(
        actor=actor, verb="organization_updated", obj=organization, data={"fields": changed}
    )
    return organization
