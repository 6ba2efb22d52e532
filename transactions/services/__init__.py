"""Writes: every change to a transaction goes through one of these services. Each locks the
row, checks who is acting and the current status (portal.workflow.transition), moves the SLA
clocks, writes the audit event on the transaction and queues the customer's notification.

Errors: PermissionDenied when the actor's role does not allow the action (403), Http404 via the
selectors when they may not see the transaction, TransitionNotAllowed when the status does not
allow it and DomainError with a specific message when something is missing (both 409).
"""

from transactions.services._common import Incomplete
from transactions.services.applications import (
    remark_answer,
    transaction_create,
    transaction_document_upload,
    transaction_resubmit,
    transaction_submit,
    transaction_update,
    transaction_withdraw,
)
from transactions.services.housekeeping import (
    transactions_expire_idle,
    transactions_notify_overdue,
    transactions_warn_expiring,
)
from transactions.services.payments import (
    fee_payment_confirm,
    fee_payment_refuse,
    fee_payment_submit,
)
from transactions.services.review import (
    remark_add,
    remark_resolve,
    transaction_accept_complete,
    transaction_approve,
    transaction_assign,
    transaction_claim,
    transaction_close,
    transaction_issue_certificate,
    transaction_reject,
    transaction_return_incomplete,
    transaction_return_remarks,
)

__all__ = [
    "Incomplete",
    "fee_payment_confirm",
    "fee_payment_refuse",
    "fee_payment_submit",
    "remark_add",
    "remark_answer",
    "remark_resolve",
    "transaction_accept_complete",
    "transaction_approve",
    "transaction_assign",
    "transaction_claim",
    "transaction_close",
    "transaction_create",
    "transaction_document_upload",
    "transaction_issue_certificate",
    "transaction_reject",
    "transaction_resubmit",
    "transaction_return_incomplete",
    "transaction_return_remarks",
    "transaction_submit",
    "transaction_update",
    "transaction_withdraw",
    "transactions_expire_idle",
    "transactions_notify_overdue",
    "transactions_warn_expiring",
]
