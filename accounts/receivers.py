"""allauth's signals that end a person's API tokens: a token was issued under the old second
step (or the old password), so changing either revokes them. Each receiver calls one service."""

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.dispatch import receiver

from accounts import services


@receiver(authenticator_added, dispatch_uid="accounts.tokens.mfa_added")
@receiver(authenticator_removed, dispatch_uid="accounts.tokens.mfa_removed")
@receiver(authenticator_reset, dispatch_uid="accounts.tokens.mfa_reset")
def revoke_tokens_on_mfa_change(sender, request, user, authenticator, **kwargs) -> None:
    services.api_tokens_revoke_all(actor=user, user=user, reason="mfa_changed")


@receiver(password_changed, dispatch_uid="accounts.tokens.password_changed")
@receiver(password_set, dispatch_uid="accounts.tokens.password_set")
@receiver(password_reset, dispatch_uid="accounts.tokens.password_reset")
def revoke_tokens_on_password_change(sender, request, user, **kwargs) -> None:
    services.api_tokens_revoke_all(actor=user, user=user, reason="password_changed")
