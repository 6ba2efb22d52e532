"""SMS is an interface: settings.SMS_BACKEND names a class with send(to, text). Empty = off."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("portal.sms")


class LoggingSmsBackend:
    """Writes each SMS to the log: for development, and until a provider is contracted."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


def sms_enabled() -> bool:
    return bool(settings.SMS_BACKEND)


def get_sms_backend():
    return import_string(settings.SMS_BACKEND)()
