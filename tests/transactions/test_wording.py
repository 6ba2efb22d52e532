"""Lists inside messages use the comma of the message's language."""

import pytest
from django.utils import translation

from transactions import services


def test_the_missing_items_are_joined_with_each_language_s_comma(db, people, service):
    t = services.transaction_create(actor=people.customer, service=service, title="Villa", data={})
    with translation.override("en"), pytest.raises(services.Incomplete) as refused:
        services.transaction_submit(actor=people.customer, transaction=t)
    english = str(refused.value.message)
    assert english.startswith("Before submitting, complete: ")
    assert "، " not in english and ", " in english.split(": ", 1)[1]

    with translation.override("ar"), pytest.raises(services.Incomplete) as refused:
        services.transaction_submit(actor=people.customer, transaction=t)
    arabic = str(refused.value.message)
    assert "، " in arabic and ", " not in arabic
