"""Pages of the transactions app (a package: the public catalogue and applications, the
detail page with its actions, the staff queue)."""

from transactions.views.applications import (
    catalogue,
    service_detail,
    transaction_edit,
    transaction_list,
    transaction_new,
)
from transactions.views.detail import (
    document_upload,
    payment_action,
    remark_action,
    transaction_action,
    transaction_detail,
)
from transactions.views.queue import staff_queue

__all__ = [
    "catalogue",
    "document_upload",
    "payment_action",
    "remark_action",
    "service_detail",
    "staff_queue",
    "transaction_action",
    "transaction_detail",
    "transaction_edit",
    "transaction_list",
    "transaction_new",
]
