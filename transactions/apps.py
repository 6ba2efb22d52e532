from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransactionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transactions"
    verbose_name = _("Transactions")

    def ready(self) -> None:
        from accounts.management.commands.seed_demo import SEED_STEPS
        from transactions.demo import seed_transactions

        if seed_transactions not in SEED_STEPS:
            SEED_STEPS.append(seed_transactions)
