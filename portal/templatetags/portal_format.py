"""Formatting shared by the pages, the e-mails and the PDFs: amounts, dates, and text that joins
both languages. One format per language, defined here only."""

import contextlib
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from hijridate import Gregorian

register = template.Library()


@register.filter
def money(value) -> str:
    """An amount in AED as "12,500.00": fils always shown, thousands grouped, Western digits in
    both languages (as on the department's receipts)."""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{amount:,.2f}"


# --- dates -------------------------------------------------------------------------------------
# Arabic: "7 ديسمبر 2026" — Western digits with Arabic month names, as UAE government sites
# write it; English: "7 December 2026". Date-times add the Dubai time, "7 December 2026, 10:00".
_DATE = "j F Y"
_TIME = "H:i"


def _as_date_or_datetime(value) -> datetime.date | None:
    """Dates come as objects from models and as ISO strings from document snapshots."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
        if len(value) <= 10:
            return parsed.date()
        return timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed
    return None


def _in(language: str | None):
    return translation.override(language) if language else contextlib.nullcontext()


@register.filter
def long_date(value, language: str | None = None) -> str:
    """The date (never the time) in the page's language, or in `language` ("ar"/"en") on the
    bilingual PDFs."""
    day = _as_date_or_datetime(value)
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        day = day.date()
    with _in(language):
        return dateformat.format(day, _DATE)


@register.filter
def long_datetime(value, language: str | None = None) -> str:
    """The date and the Dubai time: "7 December 2026, 10:00" / "7 ديسمبر 2026، 10:00"."""
    moment = _as_date_or_datetime(value)
    if not isinstance(moment, datetime.datetime):
        return long_date(value, language)
    with _in(language):
        lang = translation.get_language() or "ar"
        comma = "، " if lang.startswith("ar") else ", "
        return dateformat.format(moment, _DATE) + comma + dateformat.format(moment, _TIME)


@register.filter
def hijri_date(value, language: str | None = None) -> str:
    """The Umm al-Qura date, "27 جمادى الآخرة 1448 هـ" / "27 Jumada al-Akhirah 1448 AH", or ""
    outside the calendar's range (1343–1500 AH)."""
    day = _as_date_or_datetime(value)
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        day = day.date()
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    with _in(language):
        lang = "ar" if (translation.get_language() or "ar").startswith("ar") else "en"
    return f"{hijri.day} {hijri.month_name(lang)} {hijri.year} {hijri.notation(lang)}"


@register.filter
def dual_date(value, language: str | None = None) -> str:
    """Gregorian with the Hijri date beside it, as on the department's documents and deadlines:
    "7 ديسمبر 2026 (27 جمادى الآخرة 1448 هـ)"."""
    gregorian, hijri = long_date(value, language), hijri_date(value, language)
    return f"{gregorian} ({hijri})" if gregorian and hijri else gregorian


# --- text that joins both languages ------------------------------------------------------------
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z]")


def text_language(text: str) -> str:
    """ "ar" when the text has Arabic letters and no Latin ones, "en" when only Latin, "" when
    both or neither (the reader's direction then comes from `dir="auto"`)."""
    arabic, latin = bool(_ARABIC.search(text)), bool(_LATIN.search(text))
    return "ar" if arabic and not latin else "en" if latin and not arabic else ""


@register.filter
def by_language(value) -> list[tuple[str, str]]:
    """Split a value that joins both languages ("شركة الخليج / Gulf General LLC") into its
    parts, each with its language, so each can go on its own line and read in its own
    direction; a plain value is one part."""
    text = str(value or "")
    parts = [p.strip() for p in text.split(" / ")] if " / " in text else [text]
    return [(p, text_language(p)) for p in parts if p]


@register.filter
def user_text(value) -> str:
    """A value that a user or the data supplied, marked as such: `dir="auto"` so a Latin name in
    an Arabic sentence (or the reverse) keeps its own direction, and `lang` when it is known."""
    text = str(value if value is not None else "")
    if not text:
        return ""
    lang = text_language(text)
    if lang:
        return format_html('<bdi dir="auto" lang="{}">{}</bdi>', lang, text)
    return format_html('<bdi dir="auto">{}</bdi>', text)


@register.filter
def lines_by_language(value) -> str:
    """by_language, rendered: each language on its own line, marked with its language."""
    parts = by_language(value)
    return format_html_join(
        mark_safe("<br>"),  # noqa: S308 - a constant
        '<span dir="auto"{}>{}</span>',
        ((format_html(' lang="{}"', lang) if lang else "", part) for part, lang in parts),
    )


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


@register.filter
def is_iso_date(value) -> bool:
    """Whether a snapshot value is an ISO date or date-time (a date field of an application)."""
    return bool(_ISO_DATE.fullmatch(str(value or "")))


@register.filter
def snapshot_value(value) -> str:
    """A value copied into a document's snapshot: an ISO date (or date-time) in the page's long
    format, anything else with each language on its own line."""
    text = str(value or "")
    if is_iso_date(text):
        return long_datetime(text) if len(text) > 10 else long_date(text)
    return lines_by_language(text)
