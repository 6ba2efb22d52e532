from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"
    verbose_name = _("Video meetings")

    def ready(self) -> None:
        from accounts.management.commands.seed_demo import SEED_STEPS
        from meetings.demo import seed_meetings

        if seed_meetings not in SEED_STEPS:
            SEED_STEPS.append(seed_meetings)

        from transactions.signals import transaction_abandoned

        transaction_abandoned.connect(_cancel_meetings, dispatch_uid="meetings-abandoned")


def _cancel_meetings(sender, *, transaction_id: int, status: str, **kwargs) -> None:
    from meetings.services import meetings_cancel_for_abandoned_transaction

    meetings_cancel_for_abandoned_transaction(transaction_id=transaction_id, status=status)
