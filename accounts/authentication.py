"""API token authentication: django-rest-knox's, in one query per request."""

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

_RESULT = "_portal_token_authentication"


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's token check without its per-request sweep of the user's other expired tokens,
    which costs a second query on every API call. An expired token is still refused (and
    deleted) when it is presented; accounts.services.api_token_issue sweeps the rest.

    The answer is kept on the request: accounts.middleware checks the token before the view
    (staff MFA) and DRF checks it again in the view; the second check costs no query."""

    def authenticate(self, request):
        http_request = getattr(request, "_request", request)
        if hasattr(http_request, _RESULT):
            result = getattr(http_request, _RESULT)
        else:
            try:
                result = super().authenticate(request)
            except AuthenticationFailed as failure:
                result = failure
            setattr(http_request, _RESULT, result)
        if isinstance(result, AuthenticationFailed):
            raise result
        return result

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
