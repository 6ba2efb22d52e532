"""The opening: two different committee members, after the deadline, each with their passphrase.

The first confirmation unlocks that member's share and keeps it (encrypted under a key derived
from settings.SECRET_KEY: one share opens nothing, so this only keeps it out of the clear) until
a second, different member confirms. The second request rebuilds K in memory, unlocks the
tender's private key, opens every live bid and file, checks each against its receipt hash,
stores the prices and bonds in clear, erases the held shares, moves the tender to "opened" and
issues the opening minutes to every bidder.

Also: replacing a committee member (who forgot the passphrase) before the deadline, by
re-splitting with two other members' passphrases.
"""

import hashlib
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role, has_role
from portal.audit import audit_record
from portal.documents import document_issue
from portal.errors import DomainError, TransitionNotAllowed
from portal.files import private_file_store
from portal.notifications import notify
from portal.workflow import checks_passing, transition
from tenders import sealing
from tenders.models import Bid, BidFile, CommitteeMember, MemberKey, OpeningConfirmation, Tender
from tenders.selectors import committee_member_of, is_contracts_engineer
from tenders.services.bids import BOND_SCAN_KINDS, TECHNICAL_KINDS, opened_payload

T = Tender.Status


class OpeningTooEarly(TransitionNotAllowed):
    code = "opening_too_early"
    default_message = _(
        "The bids cannot be opened before the submission deadline and the opening time."
    )


class AlreadyConfirmed(DomainError):
    code = "already_confirmed"
    default_message = _(
        "You have already confirmed the opening; a second, different member must confirm."
    )


class NoMemberKey(DomainError):
    code = "no_member_key"
    default_message = _("Set your opening passphrase before the opening.")


class ReplaceError(DomainError):
    code = "replace_not_allowed"


# --- who may do what, when (the services and allowed_actions ask these) --------------------------
def _member(user, tender: Tender) -> CommitteeMember:
    member = (
        committee_member_of(user=user, tender=tender)
        if has_role(user, Role.TENDER_COMMITTEE)
        else None
    )
    if member is None:
        raise PermissionDenied(_("Only a member of this tender's committee can do this."))
    return member


def _check_time(tender: Tender, now) -> None:
    if tender.status in (T.PUBLISHED, T.TENDERING):
        raise OpeningTooEarly()
    if tender.status != T.CLOSED:
        raise TransitionNotAllowed()
    if now < tender.opening_at or now <= tender.submission_deadline:
        raise OpeningTooEarly()


def check_open(*, user, tender: Tender) -> CommitteeMember:
    """Raises unless the user may confirm the opening now; returns the membership."""
    _check_time(tender, timezone.now())
    member = _member(user, tender)
    if OpeningConfirmation.objects.filter(tender_id=tender.pk, member=member).exists():
        raise AlreadyConfirmed()
    if not MemberKey.objects.filter(user_id=user.pk).exists():
        raise NoMemberKey()
    return member


def check_replace_member(*, user, tender: Tender) -> None:
    """Raises unless the user may replace a committee member of the tender now: a contracts
    engineer, after publication and before the submission deadline."""
    if not is_contracts_engineer(user):
        raise PermissionDenied
    if tender.status not in Tender.BIDDING:
        raise TransitionNotAllowed()
    if timezone.now() >= tender.submission_deadline:
        raise ReplaceError(
            _("A committee member can only be replaced before the submission deadline.")
        )
    # Two members other than the one replaced must agree (committee_member_replace).
    if CommitteeMember.objects.filter(tender_id=tender.pk).count() <= sealing.THRESHOLD:
        raise ReplaceError(
            _(
                "A member can be replaced only when the committee has at least three members: "
                "two others must agree."
            )
        )


def opening_actions(*, user, tender: Tender) -> set[str]:
    """ "open" (confirm the opening) and "replace-member", from the services' own checks."""
    return checks_passing(
        {"open": check_open, "replace-member": check_replace_member}, user=user, tender=tender
    )


def opening_confirmations(tender: Tender) -> list[OpeningConfirmation]:
    """Who has confirmed so far (for the opening ceremony page), without the held share."""
    return list(
        OpeningConfirmation.objects.filter(tender_id=tender.pk)
        .select_related("member__user")
        .defer("held_share")
        .order_by("confirmed_at", "id")
    )


# --- the opening ---------------------------------------------------------------------------------
def _held_context(tender: Tender) -> str:
    return f"tender-opening:{tender.pk}:{tender.reference}"


def _unlock_share(user: User, member: CommitteeMember, passphrase: str) -> sealing.Share:
    key = MemberKey.objects.filter(user_id=user.pk).first()
    if key is None:
        raise NoMemberKey()
    private = sealing.member_private_key(key, passphrase)
    if not member.sealed_share:
        raise sealing.SealingError()
    return sealing.share_open(bytes(member.sealed_share), private)


def _clear(bid: Bid, content: dict, verified: bool) -> dict:
    """The fields stored in clear at the opening, from the opened offer."""
    bond = content["bond"]
    return {
        "total_price": Decimal(content["total"]),
        "bond_bank": bond["bank"][:150],
        "bond_number": bond["number"][:60],
        "bond_amount": Decimal(bond["amount"]),
        "bond_expiry": date.fromisoformat(bond["expiry"]),
        "hash_verified": verified,
    }


def _open_files(private_key: bytes, bid: Bid, manifest: list[dict]) -> bool:
    """Check every stored file against the sealed manifest (decrypting it, then dropping it):
    the same files, the same bytes."""
    files = list(bid.files.all())
    if len(files) != len(manifest):
        return False
    expected = sorted((m["kind"], m["name"], m["size"], m["sha256"]) for m in manifest)
    found = []
    for f in files:
        try:
            data = _decrypt(private_key, f)
        except (sealing.SealingError, OSError):
            return False
        found.append((f.kind, f.original_name, len(data), hashlib.sha256(data).hexdigest()))
    return sorted(found) == expected


def _decrypt(private_key: bytes, f: BidFile) -> bytes:
    with f.ciphertext.open("rb") as handle:
        return sealing.unseal_file(private_key, bytes(f.sealed_key), handle.read())


def _store_opened_files(actor, private_key: bytes, bids: list[Bid]) -> None:
    """The decrypted copies, as private files attached to their bid. Written last; if one
    write fails, those written before are removed (no clear copy outside a committed opening)."""
    written = []
    try:
        for bid in bids:
            for f in bid.files.all():
                try:
                    data = _decrypt(private_key, f)
                except (sealing.SealingError, OSError):
                    continue  # recorded as a hash mismatch on the bid; nothing to store
                stored = private_file_store(
                    actor=actor,
                    upload=SimpleUploadedFile(f.original_name, data),
                    purpose="tender_bid_file",
                    attach_to=bid,
                    kinds=TECHNICAL_KINDS if f.kind == BidFile.Kind.TECHNICAL else BOND_SCAN_KINDS,
                )
                written.append(stored)
                f.opened_file = stored
                f.save(update_fields=["opened_file"])
    except BaseException:
        for stored in written:
            stored.file.delete(save=False)
        raise


def _minutes(*, actor, tender: Tender, bids: list[Bid], confirmations) -> None:
    opened_at = timezone.localtime(tender.opened_at).strftime("%Y-%m-%d %H:%M:%S")
    openers = [c.member.user for c in confirmations]
    rows = []
    for bid in bids:
        rows.append(
            {
                "bidder_ar": bid.organization.name_ar,
                "bidder_en": bid.organization.name_en,
                "version": bid.version,
                "submitted_at": timezone.localtime(bid.submitted_at).strftime("%Y-%m-%d %H:%M:%S"),
                "total": "" if bid.total_price is None else str(bid.total_price),
                "bond_amount": "" if bid.bond_amount is None else str(bid.bond_amount),
                "bond_bank": bid.bond_bank,
                "bond_number": bid.bond_number,
                "bond_expiry": bid.bond_expiry.isoformat() if bid.bond_expiry else "",
                "receipt_hash": bid.receipt_hash,
                "hash_verified": bool(bid.hash_verified),
                "needs_reconfirmation": bid.needs_reconfirmation,
            }
        )
    document = document_issue(
        actor=actor,
        kind="opening_minutes",
        reference=f"{tender.reference}-OPN",
        owner=tender.contracts_engineer,
        subject=tender,
        title_ar="محضر فتح العطاءات",
        title_en="Bid opening minutes",
        template="tenders/pdf/opening_minutes.html",
        snapshot={
            "tender_reference": tender.reference,
            "tender_title_ar": tender.title_ar,
            "tender_title_en": tender.title_en,
            "submission_deadline": timezone.localtime(tender.submission_deadline).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "opened_at": opened_at,
            "opened_by": [u.full_name or u.email for u in openers],
            "confirmed_at": [
                timezone.localtime(c.confirmed_at).strftime("%Y-%m-%d %H:%M:%S")
                for c in confirmations
            ],
            "bids": rows,
        },
        public_summary={
            "rows": [
                ["المناقصة", "Tender", tender.reference],
                ["وقت الفتح", "Opened at", opened_at],
                ["عدد العطاءات", "Bids", str(len(bids))],
            ]
        },
    )
    link = reverse("document_download", args=[document.pk])
    context = {
        "tender_reference": tender.reference,
        "tender_title_ar": tender.title_ar,
        "tender_title_en": tender.title_en,
        "bids": len(bids),
    }
    recipients = {bid.submitted_by_id: bid.submitted_by for bid in bids}
    for user in recipients.values():
        notify(recipient=user, kind="bids_opened", obj=tender, context=context, link=link)


def tender_open_confirm(*, actor: User, tender: Tender, passphrase: str) -> Tender:
    """A committee member confirms the opening with their passphrase. The first confirmation
    is held; the second, by a different member, opens every bid (see the module's docstring).

    Raises PermissionDenied (not on this tender's committee), OpeningTooEarly (before the
    deadline or the opening time, or the tender not closed yet), TransitionNotAllowed (any
    other status), AlreadyConfirmed, NoMemberKey, sealing.WrongPassphrase (nothing is stored
    then), sealing.SealingError (a share that does not open the tender's key)."""
    # Unlocking the member's key costs ~0.4 s of Argon2id: checked and done before the lock.
    member = check_open(user=actor, tender=tender)
    share = _unlock_share(actor, member, passphrase)
    with transaction.atomic():
        locked = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        now = timezone.now()
        _check_time(locked, now)
        if OpeningConfirmation.objects.filter(tender_id=locked.pk, member=member).exists():
            raise AlreadyConfirmed()
        held = list(
            OpeningConfirmation.objects.select_for_update()
            .filter(tender_id=locked.pk, held_share__isnull=False)
            .exclude(member=member)
        )
        secret, context = settings.SECRET_KEY, _held_context(locked)
        held_shares, stale = [], []
        for confirmation in held:
            try:
                held_shares.append(
                    sealing.held_share_recover(
                        bytes(confirmation.held_share), secret=secret, context=context
                    )
                )
            except sealing.SealingError:
                stale.append(confirmation)
        if stale:
            # Held under another SECRET_KEY (rotated since): unusable, so that member's
            # confirmation is dropped and they may confirm again; this one is held instead.
            OpeningConfirmation.objects.filter(pk__in=[c.pk for c in stale]).delete()
            audit_record(
                actor=actor,
                verb="opening_confirmations_discarded",
                obj=locked,
                data={"members": [c.member_id for c in stale]},
            )
        if not held_shares:
            OpeningConfirmation.objects.create(
                tender=locked,
                member=member,
                confirmed_at=now,
                held_share=sealing.held_share_protect(share, secret=secret, context=context),
            )
            audit_record(
                actor=actor, verb="opening_confirmed", obj=locked, data={"confirmation": 1}
            )
            tender.refresh_from_db()
            return tender
        shares = [*held_shares, share]
        private_key = sealing.tender_private_key_rebuild(bytes(locked.sealed_private_key), shares)
        OpeningConfirmation.objects.create(
            tender=locked, member=member, confirmed_at=now, held_share=None
        )
        OpeningConfirmation.objects.filter(tender_id=locked.pk).update(held_share=None)

        bids = list(
            Bid.objects.filter(tender_id=locked.pk, status=Bid.Status.SUBMITTED)
            .select_related("organization", "submitted_by")
            .prefetch_related("files")
            .order_by("submitted_at", "id")
        )
        for bid in bids:
            try:
                content, verified = opened_payload(private_key, bid)
                clear = _clear(bid, content, verified)
            except (sealing.SealingError, ValueError, KeyError, TypeError):
                # A damaged sealed offer: the minutes say so; the other bids still open.
                content, clear = {}, {"hash_verified": False}
            clear["hash_verified"] = clear["hash_verified"] and _open_files(
                private_key, bid, content.get("files", [])
            )
            for name, value in clear.items():
                setattr(bid, name, value)
            bid.save(
                update_fields=[
                    "total_price",
                    "bond_bank",
                    "bond_number",
                    "bond_amount",
                    "bond_expiry",
                    "hash_verified",
                    "updated_at",
                ]
            )
        opened = transition(
            obj=locked,
            to=T.OPENED,
            allowed_from=[T.CLOSED],
            actor=actor,
            verb="opened",
            timestamp_field="opened_at",
            data={
                "bids": len(bids),
                "hash_mismatches": sum(1 for b in bids if not b.hash_verified),
            },
        )
        confirmations = list(
            OpeningConfirmation.objects.filter(tender_id=locked.pk)
            .select_related("member__user")
            .order_by("confirmed_at", "id")
        )
        _minutes(actor=actor, tender=opened, bids=bids, confirmations=confirmations)
        _store_opened_files(actor, private_key, bids)
    tender.refresh_from_db()
    return tender


# --- replacing a member before the deadline ------------------------------------------------------
def committee_member_replace(
    *,
    actor: User,
    tender: Tender,
    old_user: User,
    new_user: User,
    approvals: list[tuple[User, str]],
) -> CommitteeMember:
    """Replace `old_user` (who forgot the passphrase, or left) on a published tender's
    committee by `new_user`, with two OTHER members' agreement: `approvals` is [(member,
    passphrase), ...]. Their shares rebuild K; the tender's private key is locked under a new
    K split among the new committee, so the old shares (the replaced member's included) open
    nothing any more. Bids already sealed stay sealed to the same public key.

    Raises PermissionDenied (not a contracts engineer), TransitionNotAllowed / ReplaceError
    (status, deadline, who is replaced or approves), NoMemberKey, sealing.WrongPassphrase,
    sealing.NotEnoughShares."""
    check_replace_member(user=actor, tender=tender)
    if not has_role(new_user, Role.TENDER_COMMITTEE):
        raise ReplaceError(_("The new member must be a tender committee member."))
    new_key = MemberKey.objects.filter(user_id=new_user.pk).first()
    if new_key is None:
        raise ReplaceError(
            _("The new member must set an opening passphrase before joining the committee.")
        )
    approvers = {user.pk for user, _passphrase in approvals}
    if len(approvers) < sealing.THRESHOLD or len(approvers) != len(approvals):
        raise ReplaceError(_("Two different committee members must agree to the replacement."))
    if old_user.pk in approvers:
        raise ReplaceError(_("The member being replaced cannot approve the replacement."))
    members = {m.user_id: m for m in CommitteeMember.objects.filter(tender_id=tender.pk)}
    if old_user.pk not in members:
        raise ReplaceError(_("This person is not on the tender's committee."))
    if new_user.pk in members:
        raise ReplaceError(_("The new member is already on the tender's committee."))
    if not approvers <= set(members):
        raise ReplaceError(_("Only members of the tender's committee can approve."))
    shares = [_unlock_share(user, members[user.pk], passphrase) for user, passphrase in approvals]
    with transaction.atomic():
        locked = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        check_replace_member(user=actor, tender=locked)
        committee = list(
            CommitteeMember.objects.select_for_update()
            .filter(tender_id=locked.pk)
            .order_by("added_at", "id")
        )
        if {m.user_id for m in committee} != set(members):
            raise ReplaceError(_("The committee changed meanwhile; try again."))
        keep = [m for m in committee if m.user_id != old_user.pk]
        keys = {
            k.user_id: bytes(k.public_key)
            for k in MemberKey.objects.filter(user__in=[m.user_id for m in keep])
        }
        if any(m.user_id not in keys for m in keep):
            raise NoMemberKey()
        public_keys = [keys[m.user_id] for m in keep] + [bytes(new_key.public_key)]
        sealed_private_key, sealed_shares = sealing.resplit(
            bytes(locked.sealed_private_key), shares, public_keys
        )
        locked.sealed_private_key = sealed_private_key
        locked.save(update_fields=["sealed_private_key", "updated_at"])
        for member, sealed_share in zip(keep, sealed_shares, strict=False):
            member.sealed_share = sealed_share
            member.save(update_fields=["sealed_share"])
        CommitteeMember.objects.filter(tender_id=locked.pk, user_id=old_user.pk).delete()
        newcomer = CommitteeMember.objects.create(
            tender=locked, user=new_user, sealed_share=sealed_shares[-1]
        )
        audit_record(
            actor=actor,
            verb="committee_member_replaced",
            obj=locked,
            data={
                "replaced": old_user.pk,
                "by": new_user.pk,
                "approved_by": sorted(approvers),
            },
        )
    return newcomer
