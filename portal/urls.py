from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import api, views
from tenders.urls_public import ocds_urlpatterns as tender_ocds_urlpatterns

admin.site.site_header = admin.site.site_title = "Public Works e-Services"


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin signs in through the portal's sign-in (allauth, with its second step and rate
    limits); the admin's own password-only form must authenticate no one."""
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return redirect("admin:index")
        raise PermissionDenied  # signed in without admin rights: no loop back to the sign-in
    return redirect_to_login(
        request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"), login_url="account_login"
    )


admin.site.login = admin_login

# JSON errors under /api/, the HTML templates elsewhere (see portal.views).
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

api_v1 = [
    path("", api.api_root, name="root"),
    path("files/<uuid:uuid>/", api.file_download, name="file-download"),
    path("documents/<int:pk>/download/", api.document_download, name="document-download"),
    path("", include("accounts.api")),
    path("", include("transactions.api")),
    path("", include("meetings.api")),
    path("", include("tenders.api_public")),
    path("", include("tenders.api")),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("bench/noop", views.bench_noop, name="bench-noop"),
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP has no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include((tender_ocds_urlpatterns, "tenders_ocds"))),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("transactions.urls")),
    path("", include("meetings.urls")),
    path("", include("tenders.urls_public")),
    path("", include("tenders.urls")),
    path("notifications/", views.notification_list, name="notifications"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("files/<uuid:uuid>/", views.file_download, name="file_download"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=True,
)
