"""The trivial view the budgets are measured against: the whole middleware stack, no query."""

import pytest

from bench.seed import _copy_text


@pytest.mark.django_db
def test_noop_view_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/bench/noop")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_copy_text_escapes_what_copy_would_misread():
    assert _copy_text(None) == "\\N"
    assert _copy_text(True) == "t"
    assert _copy_text("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert _copy_text(12) == "12"
