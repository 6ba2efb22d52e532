from django.urls import path

from transactions import views

app_name = "transactions"

urlpatterns = [
    path("services/", views.catalogue, name="catalogue"),
    path("services/<slug:code>/", views.service_detail, name="service"),
    path("services/<slug:code>/apply/", views.transaction_new, name="new"),
    path("transactions/", views.transaction_list, name="list"),
    path("transactions/<int:pk>/", views.transaction_detail, name="detail"),
    path("transactions/<int:pk>/edit/", views.transaction_edit, name="edit"),
    path("transactions/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path(
        "transactions/<int:pk>/remarks/<int:remark_pk>/<slug:action>/",
        views.remark_action,
        name="remark_action",
    ),
    path(
        "transactions/<int:pk>/payments/<int:payment_pk>/<slug:action>/",
        views.payment_action,
        name="payment_action",
    ),
    path("transactions/<int:pk>/<slug:action>/", views.transaction_action, name="action"),
    path("staff/transactions/", views.staff_queue, name="queue"),
]
