"""Fails when an entry of a catalogue is untranslated or fuzzy (CI's completeness check)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext


def upstream_overrides() -> list[str]:
    """Messages of Django and allauth whose Arabic the project supplies itself: Django 5.2
    reworded its password validators and its Arabic catalogue has not caught up, and allauth's
    Arabic says «الاشتراك» (subscription) for sign-up and «كود المصدق»/«شفرة» for the
    authenticator code. Marked here so makemessages keeps them in the project's catalogue, which
    Django reads before its own (LOCALE_PATHS come first); a test checks they are still the
    upstream wording."""
    return [
        ngettext(
            "This password is too short. It must contain at least %d character.",
            "This password is too short. It must contain at least %d characters.",
            1,
        ),
        gettext("This password is too common."),
        gettext("This password is entirely numeric."),
        gettext("The password is too similar to the %(verbose_name)s."),
        gettext("Sign Up"),
        gettext("Code"),
        gettext("Authenticator code"),
    ]


def _unquote(line: str) -> str:
    line = line.strip()
    return line[1:-1] if line.startswith('"') and line.endswith('"') else ""


def problems(po_path: Path) -> list[str]:
    """msgids whose translation is empty or marked fuzzy (the header entry excepted)."""
    found: list[str] = []
    entries, current, field = [], None, None
    for raw in po_path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current:
                entries.append(current)
            current, field = None, None
            continue
        if line.startswith("#~"):
            continue
        current = current or {"flags": "", "msgid": "", "msgstr": []}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural"):
            field = "plural"
        elif line.startswith("msgid "):
            field = "msgid"
            current["msgid"] = _unquote(line[6:])
        elif line.startswith("msgstr"):
            field = "msgstr"
            current["msgstr"].append(_unquote(line.split(" ", 1)[1]))
        elif line.startswith('"'):
            if field == "msgid":
                current["msgid"] += _unquote(line)
            elif field == "msgstr":
                current["msgstr"][-1] += _unquote(line)
    for entry in entries:
        if not entry["msgid"]:
            continue
        if "fuzzy" in entry["flags"]:
            found.append(f"fuzzy: {entry['msgid']}")
        elif not entry["msgstr"] or any(not s for s in entry["msgstr"]):
            found.append(f"untranslated: {entry['msgid']}")
    return found


class Command(BaseCommand):
    help = "Check that every non-default language catalogue is complete (no empty or fuzzy)."

    def handle(self, *args, **options) -> None:
        failures = []
        for code, _name in settings.LANGUAGES:
            if code == "en":
                continue
            for locale_dir in settings.LOCALE_PATHS:
                for po in sorted(Path(locale_dir).glob(f"{code}/LC_MESSAGES/*.po")):
                    failures += [f"{po}: {p}" for p in problems(po)]
        if failures:
            raise CommandError("\n".join(failures[:50]) + f"\n{len(failures)} problem(s).")
        self.stdout.write(self.style.SUCCESS("Catalogues complete."))
