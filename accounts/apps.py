from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organizations")

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects allauth's signals)
        from accounts.reference_data import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self)
