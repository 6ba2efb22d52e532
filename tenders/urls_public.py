"""Public tender pages (under the language prefix, namespace "tenders_public") and the OCDS
release package of a tender (no language prefix: data, not a page; namespace "tenders_ocds").

portal/urls.py includes `urlpatterns` among its i18n patterns and `ocds_urlpatterns` among the
others."""

from django.urls import path, re_path

from tenders.ocds import REFERENCE_PATTERN
from tenders.views import public

app_name = "tenders_public"

urlpatterns = [
    path("tenders/public/", public.tender_list, name="list"),
    path("tenders/public/results/", public.tender_results, name="results"),
    re_path(
        rf"^tenders/public/(?P<reference>{REFERENCE_PATTERN})/$",
        public.tender_detail,
        name="detail",
    ),
]

ocds_urlpatterns = [
    re_path(
        rf"^tenders/(?P<reference>{REFERENCE_PATTERN})/ocds\.json$",
        public.tender_package,
        name="package",
    ),
]
