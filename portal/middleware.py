from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from portal.errors import DomainError


class DomainErrorMiddleware:
    """A domain error raised by a service during a page request becomes a message on the page
    the person came from; nothing was changed (the service's transaction rolled back)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        messages.error(request, str(exception.message))
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "/"
        return redirect(back)


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than one upload plus its form fields,
    before anything reads the body: Django would otherwise stream a 150 MB upload to a
    temporary file before the upload's own size check refuses it. Placed first, so no session,
    user or language has been set up yet; the reverse proxy refuses such bodies before this."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REQUEST_MAX_BYTES:
            return self.too_large(request)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest) -> HttpResponse:
        # LocaleMiddleware has not run: the language comes from the path prefix, the cookie
        # or Accept-Language, the same way it would have chosen it.
        language = translation.get_language_from_request(request, check_path=True)
        with translation.override(language):
            message = _("The upload is too large; a file may be at most %(limit)s.") % {
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)
            }
            if request.path_info.startswith("/api/"):
                from portal.views import api_error  # portal.views loads models; only now

                return api_error(status=413, code="too_large", message=message)
            html = render_to_string("413.html", {"message": message})
        return HttpResponse(html, status=413)


PERMISSIONS_POLICY_HEADER = "Permissions-Policy"
# What a video frame needs from the page that embeds it.
VIDEO_FRAME_FEATURES = ("camera", "microphone", "display-capture", "fullscreen")


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response, with what a view added to it for
    its one page (allow_video_frame)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if PERMISSIONS_POLICY_HEADER not in response:
            policy = {
                **settings.PERMISSIONS_POLICY,
                **getattr(response, "_permissions_policy_update", {}),
            }
            response[PERMISSIONS_POLICY_HEADER] = ", ".join(
                f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items()
            )
        return response


def allow_video_frame(response: HttpResponse, *, origin: str, script: str) -> HttpResponse:
    """Let this one response load `script` (a video engine's IFrame API) and frame `origin`,
    and delegate camera, microphone, screen sharing and full screen to that frame only. The
    frame's own `allow` attribute (set by the IFrame API) must ask for the same features."""
    response._csp_update = {"script-src": [script]}
    # Replaced, not added to: 'none' next to a source is ignored, and browsers warn about it.
    response._csp_replace = {"frame-src": [origin]}
    response._permissions_policy_update = {
        feature: ["self", f'"{origin}"'] for feature in VIDEO_FRAME_FEATURES
    }
    return response


# The developer pages: the OpenAPI schema and the interactive docs that read it.
DEVELOPER_DOCS_PATHS = ("/api/schema/", "/api/docs/")


class DeveloperDocsLanguageMiddleware:
    """Serve the OpenAPI schema and its docs page in English unless `?lang=ar` asks for Arabic:
    they are for developers, whatever language their browser or cookie prefers. Everything else
    under /api/ keeps LocaleMiddleware's choice (cookie, then Accept-Language, then Arabic), so
    the API's error messages follow the caller's Accept-Language. Placed after LocaleMiddleware,
    which then labels the response with this language (Content-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(DEVELOPER_DOCS_PATHS):
            requested = request.GET.get("lang", "")
            try:
                language = translation.get_supported_language_variant(requested or "en")
            except LookupError:
                language = "en"
            if requested and requested != language:
                # drf-spectacular applies ?lang= itself; an unknown one would fall back to
                # Arabic (LANGUAGE_CODE), a variant (ar-AE) should not.
                request.GET = request.GET.copy()
                request.GET["lang"] = language
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
