import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


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

        from accounts.workspace import Panel, register_panel

        register_panel(Panel(order=20, template="meetings/_staff_panel.html", context=_staff_panel))


def _staff_panel(*, user) -> dict:
    from meetings.selectors import meetings_today

    return {"meetings_today": meetings_today(user=user)}


def _cancel_meetings(sender, *, transaction_id: int, status: str, **kwargs) -> None:
    """Only queue the work: the withdrawal (or the expiry loop) that sent the signal has
    committed and must not fail, nor wait, for another app's side effects."""
    from django.db import transaction

    transaction.on_commit(lambda: _queue_cancel(transaction_id, status))


def _queue_cancel(transaction_id: int, status: str) -> None:
    from kombu.exceptions import OperationalError

    from meetings.tasks import cancel_meetings_for_abandoned_transaction

    try:
        cancel_meetings_for_abandoned_transaction.delay(transaction_id, status)
    except OperationalError:  # the broker is unreachable: logged, the withdrawal stands
        logger.warning(
            "could not queue cancelling the meetings of transaction %s",
            transaction_id,
            exc_info=True,
        )
