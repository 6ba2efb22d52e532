"""What the tenders pages share: who is who, the tender of a request (404 for outsiders), the
memory-only upload handling of the bid views, and the small reads the pages share."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from tenders import selectors
from tenders.models import Tender

S = Tender.Status
PAGE_SIZE = 20


is_contracts_engineer = selectors.is_contracts_engineer
is_committee = selectors.is_committee_user
is_tender_staff = selectors.is_tender_staff


def tender_for(request: HttpRequest, pk: int) -> Tender:
    """The tender with what its pages show, if the user may see it; 404 otherwise."""
    return selectors.tender_get_for_user(user=request.user, pk=pk)


def done(request: HttpRequest, tender: Tender, message: str, *, to: str = "tenders:detail"):
    messages.success(request, message)
    return redirect(to, pk=tender.pk)


# --- memory-only uploads -------------------------------------------------------------------------


class MemoryOnlyUploadHandler(MemoryFileUploadHandler):
    """Django's in-memory upload handler, for every size: a bid's files must never reach disk
    in clear (only their ciphertext is stored). The body is bounded before it is read
    (settings.REQUEST_MAX_BYTES, portal.middleware.RequestSizeLimitMiddleware), so memory is
    bounded too; Django's default chain would spill a file over FILE_UPLOAD_MAX_MEMORY_SIZE to a
    temporary file."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True


def memory_only_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Replace a page view's upload handlers before anything reads the body. The CSRF check
    reads the body, so the view is exempt from the middleware's check and checks the token
    itself after the handlers are set (Django's documented pattern)."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.upload_handlers = [MemoryOnlyUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapper)
