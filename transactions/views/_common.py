"""What the transaction pages share."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import get_language

from transactions import selectors
from transactions.models import Transaction

S = Transaction.Status
PAGE_SIZE = 20


# --- helpers -------------------------------------------------------------------------------------


def _get_transaction_for_user(request: HttpRequest, pk: int) -> Transaction:
    """The transaction with everything the detail page shows; 404 for outsiders."""
    return selectors.transaction_get_for_user(user=request.user, pk=pk)


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: application field codes become the
    form's `f_<code>` fields, anything else a form-wide error."""
    if hasattr(error, "error_dict"):
        for code, messages_ in error.message_dict.items():
            name = f"f_{code}" if f"f_{code}" in form.fields else None
            form.add_error(name if name else None, messages_)
    else:
        form.add_error(None, error)


def _bilingual(data: dict, key: str):
    """`key_ar` or `key_en` of an audit event's data, in the page's language."""
    suffix = "ar" if (get_language() or "ar").startswith("ar") else "en"
    return data.get(f"{key}_{suffix}")
