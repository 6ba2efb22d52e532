"""The signed-in tenders pages (namespace "tenders"); the public ones are tenders/urls_public.py."""

from django.urls import path

from tenders import views

app_name = "tenders"

T = "tenders/<int:pk>/"
S = "staff/tenders/<int:pk>/"

urlpatterns = [
    # Suppliers (and the tender page every persona shares).
    path("tenders/", views.tender_list, name="list"),
    path("tenders/bids/", views.my_bids, name="my_bids"),
    path(T, views.tender_detail, name="detail"),
    path(f"{T}bid/", views.bid_form, name="bid"),
    path(f"{T}clarifications/<int:item>/answer/", views.clarification_answer, name="answer"),
    path(f"{T}objections/<int:item>/answer/", views.objection_answer, name="objection_answer"),
    path(f"{T}<slug:action>/", views.tender_action, name="action"),
    # Contracts engineers.
    path("staff/tenders/", views.dashboard, name="dashboard"),
    path("staff/tenders/new/", views.tender_new, name="new"),
    path("staff/tenders/clarifications/", views.clarification_inbox, name="inbox"),
    path("staff/tenders/passphrase/", views.passphrase, name="passphrase"),
    path(f"{S}edit/", views.tender_edit, name="edit"),
    path(f"{S}edit/<slug:part>/", views.draft_add, name="draft_add"),
    path(f"{S}edit/<slug:part>/<int:item>/remove/", views.draft_remove, name="draft_remove"),
    # The committee.
    path(f"{S}opening/", views.opening_page, name="opening"),
    path(f"{S}evaluation/", views.evaluation_page, name="evaluation"),
    path(f"{S}evaluation/<slug:step>/", views.evaluation_step, name="evaluation_step"),
    path(f"{S}bids/<int:bid>/<slug:step>/", views.bid_step, name="bid_step"),
]
