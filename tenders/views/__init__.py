"""Pages of the tenders app (a package): the supplier's (eligible tenders, bid, my bids), the
contracts engineer's (dashboard, draft, clarification inbox), the committee's (passphrase,
opening, evaluation) and the tender page they share (detail). The public pages are
tenders.views.public (tenders/urls_public.py)."""

from tenders.views.committee import (
    bid_step,
    evaluation_page,
    evaluation_step,
    opening_page,
    passphrase,
)
from tenders.views.detail import (
    clarification_answer,
    objection_answer,
    tender_action,
    tender_detail,
)
from tenders.views.staff import (
    clarification_inbox,
    dashboard,
    draft_add,
    draft_remove,
    tender_edit,
    tender_new,
)
from tenders.views.supplier import bid_form, my_bids, tender_list

__all__ = [
    "bid_form",
    "bid_step",
    "clarification_answer",
    "clarification_inbox",
    "dashboard",
    "draft_add",
    "draft_remove",
    "evaluation_page",
    "evaluation_step",
    "my_bids",
    "objection_answer",
    "opening_page",
    "passphrase",
    "tender_action",
    "tender_detail",
    "tender_edit",
    "tender_list",
    "tender_new",
]
