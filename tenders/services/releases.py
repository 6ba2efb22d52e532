"""OCDS releases: one per public event of a tender, stored whole (tenders.ocds builds them).

The other services call `release_record` inside their own transaction, once the event's rows
are saved: publication ("tender"), an addendum ("tenderAmendment"), a clarification or the
pre-bid minutes published and an unsuccessful end ("tenderUpdate"), a cancellation
("tenderCancellation"), the award ("award") and the contract ("contract")."""

from django.db import transaction
from django.utils import timezone

from portal.references import reference_next
from tenders import ocds
from tenders.models import OcdsRelease, Tender


def release_record(*, tender: Tender, tag: str) -> OcdsRelease:
    """Build the release of `tender` as it is now for the event `tag` and store it.

    The release id comes from the gap-free counter OCDS-YYYY-NNNNNN, whose row stays locked
    until the caller's transaction ends: releases are numbered, and their rows inserted, in
    the order they commit, so the public change feed (ids after a cursor) never skips one
    that commits late.

    Raises ValueError for a tag the portal does not publish or a tender that is not public
    (a draft): a caller's mistake, not a user's."""
    if tag not in ocds.TAGS:
        raise ValueError(f"not a release tag the portal publishes: {tag!r}")
    if tender.status not in ocds.PUBLIC_STATUSES:
        raise ValueError(f"{tender.reference} is not public ({tender.status})")
    with transaction.atomic():
        release_id = reference_next(prefix="OCDS", width=6)
        previous = (
            OcdsRelease.objects.filter(tender=tender)
            .order_by("-pk")
            .values_list("release_id", flat=True)
            .first()
        )
        date = timezone.now()
        data = ocds.release_build(
            ocds.release_rows(tender),
            tag=tag,
            release_id=release_id,
            date=date,
            previous_id=previous,
        )
        return OcdsRelease.objects.create(
            tender=tender, release_id=release_id, tags=[tag], date=date, data=data
        )
