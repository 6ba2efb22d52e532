from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import api, views

admin.site.site_header = admin.site.site_title = "Public Works e-Services"

api_v1 = [
    path("", api.api_root, name="root"),
    path("files/<uuid:uuid>/", api.file_download, name="file-download"),
    path("documents/<int:pk>/download/", api.document_download, name="document-download"),
    path("", include("accounts.api")),
    path("", include("transactions.api")),
    path("", include("meetings.api")),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("transactions.urls")),
    path("", include("meetings.urls")),
    path("notifications/", views.notification_list, name="notifications"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("files/<uuid:uuid>/", views.file_download, name="file_download"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=True,
)
