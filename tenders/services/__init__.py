"""Writes: every change to a tender goes through one of these modules' services (keyword-only,
atomic, `actor=` first). Import them from their module (`from tenders.services.lifecycle import
tender_publish`): the modules import each other's checks, so this package re-exports nothing.

- lifecycle: the draft (tender, criteria, BoQ, documents), publish, cancel, the time-driven moves
  (`tenders_advance`), unsuccessful;
- committee: the committee of a draft and each member's opening key;
- clarifications: questions, published answers, the pre-bid session's minutes;
- addenda: changes to a published tender;
- bids, opening (sealing), evaluation, award, releases (OCDS).

Errors, the same in every module: ValidationError for bad input (field-keyed where it can be),
PermissionDenied (403) for the wrong person, TransitionNotAllowed (409) when the status — or the
clock — does not allow the action, DomainError (409) with its own message for any other rule.
Each module's `check_<action>(*, user, tender)` is the one rule the service and
`tenders.selectors.allowed_actions` both ask.
"""
