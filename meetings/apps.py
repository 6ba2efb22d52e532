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
