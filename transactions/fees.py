"""How a fee is paid. A provider turns a payment declaration into either an immediate
confirmation (a card gateway, when one is connected) or a payment that staff confirm (the
offline provider: paid at the counter or by bank transfer). There is no gateway yet; the
setting FEE_PAYMENT_PROVIDER names the class to use."""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class FeeProvider(Protocol):
    name: str

    def confirms_at_once(self, *, payment) -> bool:
        """True when the provider itself has confirmed the money arrived."""


class OfflineProvider:
    """Counter or bank transfer: the customer declares it, a staff member confirms it."""

    name = "offline"

    def confirms_at_once(self, *, payment) -> bool:
        return False


def fee_provider() -> FeeProvider:
    return import_string(settings.FEE_PAYMENT_PROVIDER)()
