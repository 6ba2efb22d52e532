"""Domain errors: raised by services, shown as a message in the UI and as HTTP 409 in the API."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request that is well-formed but not allowed in the object's current state."""

    code = "conflict"
    default_message = _("This action is not allowed at this point.")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    default_message = _("This action is not allowed in the current status.")
