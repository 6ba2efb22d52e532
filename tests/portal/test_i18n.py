"""Arabic first, English second: direction, language prefixes and the language switch."""

import re
from urllib.parse import urlsplit

import pytest

from accounts.roles import Role
from tests.factories import UserFactory


def _external_assets(page: str) -> list[str]:
    """The URLs of another host that <link> and <script> tags load."""
    urls = re.findall(r'<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"', page)
    return [u for u in urls if urlsplit(u).netloc not in ("", "testserver")]


@pytest.mark.parametrize(
    ("path", "html_tag"),
    [("/ar/", '<html lang="ar" dir="rtl">'), ("/en/", '<html lang="en" dir="ltr">')],
)
def test_language_prefix_sets_lang_and_direction(client, db, path, html_tag):
    response = client.get(path)
    assert response.status_code == 200
    assert html_tag in response.content.decode()


def test_root_goes_to_arabic_without_a_browser_preference(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/ar/"


def test_root_follows_an_english_browser(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.url == "/en/"


def test_switching_language_keeps_the_page(client, db):
    client.force_login(UserFactory(role=Role.CUSTOMER))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ar/profile/"})
    assert response.status_code == 302
    assert response.url == "/en/profile/"
    assert client.get(response.url).status_code == 200


def test_header_language_switch_posts_the_current_page(client, db):
    client.force_login(UserFactory(role=Role.CUSTOMER))
    page = client.get("/ar/profile/?tab=1").content.decode()
    form = re.search(r'<form action="/i18n/setlang/" method="post".*?</form>', page, re.S)
    assert form is not None
    assert '<input type="hidden" name="next" value="/en/profile/?tab=1">' in form.group()
    assert 'name="language" value="en"' in form.group()


@pytest.mark.parametrize(
    "browser_language, page, switch_to, lands_on",
    [
        ("en", "/ar/services/", "en", "/en/services/"),
        ("ar", "/en/services/", "ar", "/ar/services/"),
    ],
)
def test_the_switch_works_whatever_language_the_browser_asks_for(
    client, db, browser_language, page, switch_to, lands_on
):
    """The switch must not depend on the browser's own language (e-mail links open /ar/ pages
    for everyone)."""
    html = client.get(page, HTTP_ACCEPT_LANGUAGE=browser_language).content.decode()
    next_path = re.search(r'name="next" value="([^"]+)"', html).group(1)
    response = client.post(
        "/i18n/setlang/",
        {"language": switch_to, "next": next_path},
        HTTP_ACCEPT_LANGUAGE=browser_language,
    )
    assert response.status_code == 302
    assert response.url == lands_on


@pytest.mark.parametrize("path", ["/ar/", "/en/", "/ar/accounts/login/"])
def test_pages_load_assets_only_from_this_site(client, db, path):
    page = client.get(path).content.decode()
    assert '<link rel="stylesheet" href="/static/portal.css">' in page
    assert _external_assets(page) == []


@pytest.mark.parametrize(
    "value, shown",
    [("1500", "1,500.00"), ("12500.5", "12,500.50"), ("0.005", "0.01"), ("0", "0.00"), ("x", "")],
)
def test_amounts_are_grouped_with_fils_and_rounded_half_up(value, shown):
    from portal.templatetags.portal_format import money

    assert money(value) == shown


@pytest.mark.parametrize(
    "value, language, shown",
    [
        ("2026-12-07", "ar", "7 ديسمبر 2026"),
        ("2026-12-07", "en", "7 December 2026"),
        ("2026-12-07 10:00", "ar", "7 ديسمبر 2026"),
        ("", "ar", ""),
        ("not a date", "en", ""),
    ],
)
def test_one_date_format_per_language(value, language, shown):
    from portal.templatetags.portal_format import long_date

    assert long_date(value, language) == shown


def test_date_times_show_the_dubai_time_with_the_language_s_comma():
    import datetime

    from portal.templatetags.portal_format import long_datetime

    moment = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=datetime.UTC)  # 10:00 in Dubai
    assert long_datetime(moment, "en") == "7 December 2026, 10:00"
    assert long_datetime(moment, "ar") == "7 ديسمبر 2026، 10:00"


def test_the_hijri_date_is_umm_al_qura_beside_the_gregorian():
    from portal.templatetags.portal_format import dual_date, hijri_date

    assert hijri_date("2026-12-07", "ar") == "27 جمادى الآخرة 1448 هـ"
    assert hijri_date("2026-12-07", "en") == "27 Jumada al-Akhirah 1448 AH"
    assert dual_date("2026-12-07", "ar") == "7 ديسمبر 2026 (27 جمادى الآخرة 1448 هـ)"
    assert hijri_date("2100-01-01", "ar") == ""  # outside the Umm al-Qura tables


def test_user_text_keeps_its_own_direction_and_is_escaped():
    from portal.templatetags.portal_format import lines_by_language, user_text

    assert user_text("Eng. <b>") == '<bdi dir="auto" lang="en">Eng. &lt;b&gt;</bdi>'
    assert user_text("خالد") == '<bdi dir="auto" lang="ar">خالد</bdi>'
    assert lines_by_language("شركة الخليج / Gulf LLC") == (
        '<span dir="auto" lang="ar">شركة الخليج</span><br>'
        '<span dir="auto" lang="en">Gulf LLC</span>'
    )


def test_the_phone_example_is_isolated_in_arabic():
    """Without the isolation marks the number renders «971501234567+» in a right-to-left line."""
    from django.utils import translation

    from accounts.forms import ProfileForm  # noqa: F401 - the form whose help text it is

    with translation.override("ar"):
        text = translation.gettext(
            "Optional. Used for SMS notifications, for example +971501234567."
        )
    assert "\u2066+971501234567\u2069" in text


def test_a_fee_that_is_due_says_pay_not_answer():
    from django.utils import translation

    with translation.override("ar"):
        assert translation.gettext("if you pay today") == "إذا سدّدت الرسوم اليوم"
        assert translation.ngettext("%(n)s meeting", "%(n)s meetings", 0) == "لا توجد اجتماعات"
        assert translation.gettext("Sign Up") == "إنشاء حساب"
        greeting = translation.gettext("Dear %(recipient_name)s,")
        assert "المتعامل" not in greeting  # staff receive these e-mails too


def test_a_snapshot_s_iso_dates_show_in_the_long_format():
    from django.utils import translation

    from portal.templatetags.portal_format import snapshot_value

    with translation.override("ar"):
        assert snapshot_value("2026-12-07 10:00") == "7 ديسمبر 2026، 10:00"
        assert snapshot_value("2026-12-07") == "7 ديسمبر 2026"
        assert (
            snapshot_value("TRX-2026-000001") == '<span dir="auto" lang="en">TRX-2026-000001</span>'
        )


@pytest.mark.parametrize(
    "template, context, shown, hidden",
    [
        (
            "emails/transaction_expiry_warning_body.txt",
            {"expires_on": "2026-12-20"},
            "20 ديسمبر 2026 (11 رجب 1448 هـ)",
            "2026-12-20",
        ),
        (
            "emails/meeting_booked_body.txt",
            {"starts": "2026-12-07 10:00"},
            "7 ديسمبر 2026، 10:00",
            "2026-12-07",
        ),
        (
            "emails/transaction_submitted_body.html",
            {"due_date": "2026-12-21"},
            "21 ديسمبر 2026",
            "2026-12-21",
        ),
    ],
)
def test_e_mails_show_dates_in_the_page_format(template, context, shown, hidden):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("ar"):
        text = render_to_string(
            template, {**context, "LANGUAGE_CODE": "ar", "recipient_name": "خالد"}
        )
    assert shown in text
    assert hidden not in text
