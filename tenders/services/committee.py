"""A tender's committee (chosen while it is a draft) and each member's opening key.

A member's key pair is made from the member's opening passphrase (tenders.sealing: Argon2id,
then a SecretBox); the passphrase is never stored. Publication seals a share of the tender's key
to each member's public key, so a key that holds a live share must not be replaced (the share
would open no more): a forgotten passphrase is handled by re-splitting (the opening services).

Errors: ValidationError for bad input (a short passphrase), PermissionDenied for the wrong
person, TransitionNotAllowed when the tender is no longer a draft, DomainError otherwise.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction as db_transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.models import User
from accounts.roles import Role, has_role
from portal.audit import audit_record
from portal.errors import DomainError
from tenders import sealing
from tenders.models import CommitteeMember, MemberKey, Tender
from tenders.selectors import is_committee_user
from tenders.services.lifecycle import check_edit, lock

PASSPHRASE_MIN_LENGTH = 12

# A share is live while its tender may still be opened.
_OPENABLE = [Tender.Status.PUBLISHED, Tender.Status.TENDERING, Tender.Status.CLOSED]


class CommitteeError(DomainError):
    code = "committee"


@db_transaction.atomic
def committee_member_add(*, actor: User, tender: Tender, user: User) -> CommitteeMember:
    """Add a tender committee member to a draft's committee.

    Raises TransitionNotAllowed (not a draft), PermissionDenied (not a contracts engineer),
    ValidationError (not a committee member, or already on this committee)."""
    tender = lock(tender)
    check_edit(user=actor, tender=tender)
    if not (user.is_active and has_role(user, Role.TENDER_COMMITTEE)):
        raise ValidationError({"user": [_("Choose a member of the tender committee.")]})
    if CommitteeMember.objects.filter(tender=tender, user=user).exists():
        raise ValidationError({"user": [_("This person is already on the committee.")]})
    member = CommitteeMember.objects.create(tender=tender, user=user)
    audit_record(actor=actor, verb="committee_member_added", obj=tender, data={"user": user.pk})
    return member


@db_transaction.atomic
def committee_member_remove(*, actor: User, member: CommitteeMember) -> None:
    """Remove a member from a draft's committee.

    Raises TransitionNotAllowed (not a draft), PermissionDenied."""
    tender = lock(member.tender)
    check_edit(user=actor, tender=tender)
    audit_record(
        actor=actor, verb="committee_member_removed", obj=tender, data={"user": member.user_id}
    )
    member.delete()


def live_share_tenders(user: User) -> list[str]:
    """References of the tenders where the user holds a share that may still be needed."""
    return list(
        CommitteeMember.objects.filter(
            user=user, sealed_share__isnull=False, tender__status__in=_OPENABLE
        )
        .order_by("tender__reference")
        .values_list("tender__reference", flat=True)
    )


@db_transaction.atomic
def member_key_set(*, actor: User, passphrase: str) -> MemberKey:
    """Set (or, holding no live share, replace) the actor's opening key from a passphrase of at
    least PASSPHRASE_MIN_LENGTH characters.

    Raises PermissionDenied (not a committee member), ValidationError (too short),
    CommitteeError (the current key holds a share of a tender not yet opened)."""
    if not is_committee_user(actor):
        raise PermissionDenied
    passphrase = passphrase or ""
    if len(passphrase) < PASSPHRASE_MIN_LENGTH:
        raise ValidationError(
            ngettext_lazy(
                "The opening passphrase must have at least %(count)d character.",
                "The opening passphrase must have at least %(count)d characters.",
                PASSPHRASE_MIN_LENGTH,
            )
            % {"count": PASSPHRASE_MIN_LENGTH},
            code="passphrase_too_short",
        )
    existing = MemberKey.objects.select_for_update().filter(user=actor).first()
    if existing is not None:
        held = live_share_tenders(actor)
        if held:
            raise CommitteeError(
                _(
                    "Your key holds a share of tenders not yet opened (%(references)s); it "
                    "cannot be replaced until they are opened. If you have forgotten your "
                    "passphrase, ask the committee to re-split those tenders' keys."
                )
                % {"references": ", ".join(held)},
                code="key_in_use",
            )
    record = sealing.member_keypair_create(passphrase)
    fields = {
        "public_key": record.public_key,
        "protected_private_key": record.protected_private_key,
        "salt": record.salt,
        "opslimit": record.opslimit,
        "memlimit": record.memlimit,
    }
    if existing is None:
        key = MemberKey.objects.create(user=actor, **fields)
    else:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        key = existing
    # The audit row says that the key was set, never anything of it.
    audit_record(
        actor=actor,
        verb="member_key_replaced" if existing else "member_key_set",
        obj=key,
    )
    return key
