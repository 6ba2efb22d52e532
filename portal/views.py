import logging
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from portal import documents, files, notifications
from portal.errors import DomainError
from portal.models import IssuedDocument
from portal.pagination import CappedPaginator
from portal.public_cache import public_page

logger = logging.getLogger(__name__)


@public_page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def bench_noop(request: HttpRequest) -> HttpResponse:
    """The benchmark's yardstick (bench/): the whole middleware stack and nothing else, no
    database and no template, so a page's throughput can be read as a share of the framework's
    ceiling on the same machine. Harmless in production: a constant answer that reads nothing."""
    return HttpResponse(b"ok", content_type="text/plain")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
    )
    client.ping()
    return "ok"


def _check_celery() -> str:
    from portal.celery import app

    with app.connection_for_read(settings.CELERY_BROKER_URL) as conn:
        replies = app.control.inspect(timeout=1.5, connection=conn).ping() or {}
    if not replies:
        raise RuntimeError("no worker answered")
    return f"ok ({len(replies)} worker{'s' if len(replies) != 1 else ''})"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database always; Redis and the Celery workers when a broker is configured."""
    checks = {"database": _check_database}
    if settings.CELERY_BROKER_URL:
        checks["redis"] = _check_redis
        checks["celery"] = _check_celery
    report, healthy = {}, True
    for name, check in checks.items():
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure
            logger.warning("health check %s failed: %s", name, exc)
            report[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    if not settings.CELERY_BROKER_URL:
        report["celery"] = "eager (no broker configured)"
    if report["database"] == "ok":  # a count, not a failure: monitoring alerts when above zero
        report["notifications_undeliverable"] = notifications.notifications_undeliverable_count()
        report["documents_failed"] = documents.documents_failed_count()
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": report}, status=200 if healthy else 503
    )


@public_page("portal.issueddocument")
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: what an issued document certifies, without private details."""
    document = IssuedDocument.objects.filter(verification_code=code).first()
    if document is None:
        return render(request, "portal/verify.html", {"code": code}, status=404)
    return render(request, "portal/verify.html", {"document": document, "code": code})


# What IssuedDocument's codes are made of (secrets.token_urlsafe), with room to spare.
VERIFICATION_CODE = re.compile(r"[\w-]{1,64}")


def verify_lookup(request: HttpRequest) -> HttpResponse:
    """Public: the home page's "verify a document" form (GET ?code=) leads to the code's page,
    which says whether the code is known; an empty code stays here with a message."""
    code = "".join(request.GET.get("code", "").split())  # codes are copied with stray spaces
    if not code:
        error = _("Enter the verification code printed under the document's QR code.")
        return render(request, "portal/verify.html", {"lookup_error": error}, status=400)
    if not VERIFICATION_CODE.fullmatch(code):  # no code has such characters: unknown, not a 500
        return render(request, "portal/verify.html", {"code": code}, status=404)
    return redirect("verify", code=code)


def _attachment(fileobj, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        fileobj, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(*, user, pk: int) -> FileResponse:
    """An issued document's PDF for a user who may see it (404 otherwise; DomainError while it
    is still being generated). Shared by the page and the API."""
    document = documents.document_get_for_user(user=user, pk=pk)
    if document.status != IssuedDocument.Status.READY or not document.pdf:
        raise DomainError(
            _("The document is still being generated; try again in a minute."),
            code="document_pending",
        )
    return _attachment(
        document.pdf.open("rb"),
        filename=f"{document.reference}.pdf",
        content_type="application/pdf",
    )


def file_response(*, user, uuid) -> FileResponse:
    """A private file for a user who may see it (404 otherwise). Shared by the page and the
    API."""
    stored = files.private_file_get_for_user(user=user, uuid=uuid)
    return _attachment(
        stored.file.open("rb"),
        filename=stored.original_name,
        content_type=stored.content_type_detected,
    )


@login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    return document_response(user=request.user, pk=pk)


@login_required
def file_download(request: HttpRequest, uuid) -> HttpResponse:
    return file_response(user=request.user, uuid=uuid)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications.notifications_mark_read(actor=request.user)
        return redirect("notifications")
    page = CappedPaginator(
        notifications.notifications_for(user=request.user).select_related("recipient"), 25
    ).get_page(request.GET.get("page"))
    for item in page:
        item.title = notifications.notification_subject_line(item)
    return render(request, "portal/notifications.html", {"page": page})


# --- error pages ---------------------------------------------------------------------------------
# Errors raised outside DRF (the URL resolver's 404 for /api/v1/transactions/abc/, a crash
# before or after a view) reach these handlers, not portal.api.exception_handler. An API client
# must get the same JSON error body whatever raised it, so paths under /api/ answer JSON; the
# pages keep their HTML templates.


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def api_error(*, status: int, code: str, message: str) -> JsonResponse:
    """The API's error body (portal.api.ApiErrorSerializer) for errors DRF never saw."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_error(status=400, code="bad_request", message=_("The request is not valid."))
    return defaults.bad_request(request, exception)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_error(
            status=403,
            code="permission_denied",
            message=_("You do not have permission to do this."),
        )
    return defaults.permission_denied(request, exception)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_error(status=404, code="not_found", message=_("Not found."))
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return api_error(
            status=500,
            code="server_error",
            message=_("Something went wrong on our side; please try again later."),
        )
    return defaults.server_error(request)
