"""API token authentication: django-rest-knox's, in one query per request."""

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's token check without its per-request sweep of the user's other expired tokens,
    which costs a second query on every API call. An expired token is still refused (and
    deleted) when it is presented; accounts.services.api_token_issue sweeps the rest."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
