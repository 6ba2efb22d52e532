"""Arabic without seams: every page under /ar/, walked as the persona who uses it with the demo
data, shows no Latin word outside a short allow-list. What users or data supply is exempt only
when the page marks it as such (`dir="auto"`, `data-user-text`, `<bdi>`, or a `lang` that is not
Arabic), which is also what makes mixed-direction text read right."""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from accounts.models import User
from meetings.models import Meeting
from portal.models import IssuedDocument
from tenders.models import Tender
from transactions.models import Remark, Transaction

# Latin that an Arabic page may show, each with why.
ALLOWED_PATTERNS = [
    r"[A-Z]{2,5}-\d{4}-\d{3,6}",  # reference numbers (TRX-2026-000001), as printed on paper
    r"[A-Z]{2,4}-[A-Z]{1,3}-\d{4,6}",  # trade licence numbers (SHJ-CN-100234)
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
    r"https?://\S+",  # addresses shown for copying
]
ALLOWED_WORDS = {
    "PDF",
    "PNG",
    "JPG",
    "JPEG",
    "DXF",
    "DWG",
    "ICS",  # file types, named as the files are
    "QR",  # «رمز QR» is how the code is known in Arabic
}
_ALLOWED = re.compile("|".join(ALLOWED_PATTERNS))
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

_SKIPPED_TAGS = {"script", "style", "template", "noscript", "svg", "bdi", "code", "kbd", "pre"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_VISIBLE_ATTRIBUTES = ("placeholder", "alt", "aria-label", "title")


def _marked_as_other_text(tag: str, attrs: dict) -> bool:
    lang = attrs.get("lang")
    return (
        tag in _SKIPPED_TAGS
        or attrs.get("dir") in ("auto", "ltr")
        or "data-user-text" in attrs
        or (lang is not None and not lang.startswith("ar"))
        or "hidden" in attrs
    )


class _VisibleText(HTMLParser):
    """The text a reader of the page sees or hears, without what is marked as user text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = _marked_as_other_text(tag, attrs)
        if not skip and not self.skipping:
            for name in _VISIBLE_ATTRIBUTES:
                if attrs.get(name):
                    self.parts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in _VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        if tag in _VOID:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def _latin_parts(html: str) -> list[str]:
    """The visible pieces of text that hold the Latin words, to say where they are."""
    parser = _VisibleText()
    parser.feed(html)
    return [p.strip() for p in parser.parts if latin_words_in(p)]


def latin_words_in(text: str) -> list[str]:
    text = _ALLOWED.sub(" ", text)
    return sorted({w for w in _LATIN_WORD.findall(text) if w not in ALLOWED_WORDS})


def latin_words(html: str) -> list[str]:
    """The Latin words of a page's visible text that the allow-list does not cover."""
    parser = _VisibleText()
    parser.feed(html)
    text = _ALLOWED.sub(" ", " ".join(parser.parts))
    return sorted({w for w in _LATIN_WORD.findall(text) if w not in ALLOWED_WORDS})


@pytest.mark.parametrize(
    "html, found",
    [
        ("<p>مرحبًا، Eng. Khalid</p>", ["Eng", "Khalid"]),
        ('<p>مرحبًا، <span dir="auto">Eng. Khalid</span></p>', []),
        ("<p>مرحبًا، <bdi>Khalid</bdi></p>", []),
        ('<p><a lang="en" href="/en/">English</a> TRX-2026-000001 PDF a@b.ae</p>', []),
        ('<input placeholder="Search"><script>var x = 1;</script>', ["Search"]),
        ("<p>This password is too short.</p>", ["This", "is", "password", "short", "too"]),
    ],
)
def test_the_checker_finds_latin_words_outside_marked_text(html, found):
    assert latin_words(html) == found


# --- every page, walked --------------------------------------------------------------------------
# Views that show no page of their own (POST-only actions, downloads, redirects), each with why.
NOT_PAGES = {
    "set_language": "POST only",
    "account_logout": "a confirmation form; checked below as a page anyway",
    "accounts:api_token_revoke": "POST only",
    "transactions:document_upload": "POST only",
    "transactions:remark_action": "POST only",
    "transactions:payment_action": "POST only",
    "transactions:action": "POST only",
    "meetings:session_register": "POST only",
    "meetings:session_unregister": "POST only",
    "meetings:action": "POST only",
    "meetings:invitation": "an .ics file",
    "tenders:action": "POST only",
    "tenders:answer": "POST only",
    "tenders:objection_answer": "POST only",
    "tenders:draft_add": "POST only",
    "tenders:draft_remove": "POST only",
    "tenders:evaluation_step": "POST only",
    "tenders:bid_step": "POST only",
    "tenders_ocds:package": "an OCDS release package (JSON)",
    "document_download": "a PDF",
    "file_download": "an uploaded file",
    "javascript-catalog": "JavaScript",
    "healthz": "JSON for the load balancer",
    "schema": "the API's OpenAPI schema, for developers (English by default)",
    "docs": "the API's documentation page, for developers (English by default)",
    "bench-noop": "the benchmark's empty view",
    "mfa_download_recovery_codes": "a text file",
    "account_inactive": "allauth's page for deactivated accounts (none in the demo data)",
    "account_confirm_email": "needs a signed key; the same template as email_verification_sent",
    "account_reset_password_from_key": "needs a signed key",
    "account_request_reauthentication_code": "login by code is switched off",
    "account_confirm_reauthentication_code": "login by code is switched off",
    "account_confirm_login_code": "login by code is switched off",
    "account_set_password": "demo users all have a password (redirects)",
    "mfa_authenticate": "only during a login with TOTP (redirects otherwise)",
    "mfa_reauthenticate": "only with TOTP set up (redirects otherwise)",
    "mfa_deactivate_totp": "only with TOTP set up (redirects otherwise)",
    "mfa_view_recovery_codes": "only with TOTP set up (redirects otherwise)",
    "mfa_generate_recovery_codes": "only with TOTP set up (redirects otherwise)",
}


def _page_names() -> set[str]:
    """Every named view under the language prefix except admin and the API."""

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in ("admin", "api") or entry.app_name in ("admin", "api"):
                    continue
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, ns)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}"

    return set(walk(get_resolver().url_patterns))


@pytest.fixture
def demo(db, settings, private_media):
    settings.STAFF_MFA_REQUIRED = False
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    translation.activate("ar")
    yield {u.email.split("@")[0]: u for u in User.objects.all()}
    translation.deactivate()


def _visits(people: dict) -> list[tuple[str, str | None, str]]:
    """(view name, persona, URL) for every page, with the demo data's own objects."""
    customer_t = Transaction.objects.filter(applicant=people["customer"])
    remarked = customer_t.get(status=Transaction.Status.REMARKS_RETURNED)
    draft = customer_t.get(status=Transaction.Status.DRAFT)
    fee_due = Transaction.objects.get(status=Transaction.Status.FEE_DUE)
    issued = Transaction.objects.filter(applicant=people["contractor"]).exclude(pk=fee_due.pk)[0]
    remark = Remark.objects.get(transaction=remarked)
    booked = Meeting.objects.filter(kind=Meeting.Kind.APPOINTMENT, customer=people["customer"])[0]
    held = Meeting.objects.get(status=Meeting.Status.HELD)
    document = IssuedDocument.objects.first()
    held_day = f"{held.starts_at:%Y-%m-%d}"
    open_tender = Tender.objects.filter(status__in=("published", "tendering")).first()
    evaluated = Tender.objects.filter(opened_at__isnull=False).exclude(status="awarded").first()
    awarded = Tender.objects.get(status="awarded")
    a = "/ar"
    return [
        ("home", None, f"{a}/"),
        ("home", "customer", f"{a}/"),
        ("verify_lookup", None, "/verify/?code=%20"),  # the page with its message
        ("verify", None, f"/verify/{document.verification_code}/"),
        ("account_login", None, f"{a}/accounts/login/"),
        ("account_signup", None, f"{a}/accounts/signup/"),
        ("account_reset_password", None, f"{a}/accounts/password/reset/"),
        ("account_reset_password_done", None, f"{a}/accounts/password/reset/done/"),
        ("account_reset_password_from_key_done", None, f"{a}/accounts/password/reset/key/done/"),
        ("account_email_verification_sent", None, f"{a}/accounts/confirm-email/"),
        ("account_logout", "customer", f"{a}/accounts/logout/"),
        ("account_reauthenticate", "customer", f"{a}/accounts/reauthenticate/"),
        ("account_email", "customer", f"{a}/accounts/email/"),
        ("account_change_password", "customer", f"{a}/accounts/password/change/"),
        ("mfa_index", "reviewer", f"{a}/accounts/2fa/"),
        # Without a recent sign-in this shows the password prompt first (followed).
        ("mfa_activate_totp", "reviewer", f"{a}/accounts/2fa/totp/activate/"),
        ("accounts:profile", "customer", f"{a}/profile/"),
        ("accounts:organization", "contractor", f"{a}/organization/"),
        ("accounts:staff_home", "reviewer", f"{a}/staff/"),
        ("transactions:catalogue", None, f"{a}/services/"),
        ("transactions:service", None, f"{a}/services/road-excavation-permit/"),
        ("transactions:new", "contractor", f"{a}/services/road-excavation-permit/apply/"),
        ("transactions:list", "customer", f"{a}/transactions/"),
        ("transactions:list", "contractor", f"{a}/transactions/"),
        ("transactions:detail", "customer", f"{a}/transactions/{remarked.pk}/"),
        ("transactions:detail", "reviewer", f"{a}/transactions/{remarked.pk}/"),
        ("transactions:detail", "contractor", f"{a}/transactions/{fee_due.pk}/"),
        ("transactions:detail", "contractor", f"{a}/transactions/{issued.pk}/"),
        ("transactions:detail", "customer", f"{a}/transactions/{draft.pk}/"),
        ("transactions:edit", "customer", f"{a}/transactions/{draft.pk}/edit/"),
        ("transactions:queue", "reviewer", f"{a}/staff/transactions/"),
        ("transactions:queue", "agent", f"{a}/staff/transactions/"),
        ("meetings:list", "customer", f"{a}/meetings/"),
        ("meetings:book", "customer", f"{a}/meetings/book/"),
        ("meetings:book", "customer", f"{a}/meetings/book/?remark={remark.pk}"),
        ("meetings:book", "customer", f"{a}/meetings/book/?team=customer-happiness"),
        ("meetings:sessions", None, f"{a}/meetings/sessions/"),
        ("meetings:sessions", "contractor", f"{a}/meetings/sessions/"),
        ("meetings:detail", "customer", f"{a}/meetings/{booked.pk}/"),
        ("meetings:detail", "reviewer", f"{a}/meetings/{booked.pk}/"),
        ("meetings:detail", "contractor", f"{a}/meetings/{held.pk}/"),
        ("meetings:calendar", "reviewer", f"{a}/staff/meetings/"),
        ("meetings:calendar", "agent", f"{a}/staff/meetings/?view=day&date={held_day}"),
        ("meetings:load", "agent", f"{a}/staff/meetings/load/"),
        ("meetings:session_new", "agent", f"{a}/staff/meetings/sessions/new/"),
        ("notifications", "customer", f"{a}/notifications/"),
        ("notifications", "reviewer", f"{a}/notifications/"),
        ("tenders:list", "contractor", f"{a}/tenders/"),
        ("tenders:my_bids", "contractor", f"{a}/tenders/bids/"),
        ("tenders:detail", "contractor", f"{a}/tenders/{open_tender.pk}/"),
        ("tenders:detail", "contracts", f"{a}/tenders/{open_tender.pk}/"),
        ("tenders:detail", "committee1", f"{a}/tenders/{evaluated.pk}/"),
        ("tenders:detail", "contracts", f"{a}/tenders/{awarded.pk}/"),
        ("tenders:detail", "supplier2", f"{a}/tenders/{awarded.pk}/"),
        ("tenders:bid", "contractor", f"{a}/tenders/{open_tender.pk}/bid/"),
        ("tenders:dashboard", "contracts", f"{a}/staff/tenders/"),
        ("tenders:new", "contracts", f"{a}/staff/tenders/new/"),
        # No draft in the demo: the edit page of a published tender goes back to it (followed).
        ("tenders:edit", "contracts", f"{a}/staff/tenders/{open_tender.pk}/edit/"),
        ("tenders:inbox", "contracts", f"{a}/staff/tenders/clarifications/"),
        ("tenders:passphrase", "committee1", f"{a}/staff/tenders/passphrase/"),
        ("tenders:opening", "committee1", f"{a}/staff/tenders/{evaluated.pk}/opening/"),
        ("tenders:evaluation", "committee1", f"{a}/staff/tenders/{evaluated.pk}/evaluation/"),
        ("accounts:staff_home", "contracts", f"{a}/staff/"),
        ("accounts:staff_home", "committee1", f"{a}/staff/"),
        ("tenders_public:list", None, f"{a}/tenders/public/"),
        ("tenders_public:results", None, f"{a}/tenders/public/results/"),
        ("tenders_public:detail", None, f"{a}/tenders/public/{awarded.reference}/"),
    ]


def test_every_arabic_page_speaks_arabic(client, demo):
    visits = _visits(demo)
    assert _page_names() - NOT_PAGES.keys() <= {name for name, _p, _u in visits}, (
        "a new page: add it to _visits() (or to NOT_PAGES with why)"
    )
    found = {}
    for _name, persona, url in visits:
        client.logout()
        if persona:
            client.force_login(demo[persona])
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ar", follow=True)
        assert response.status_code in (200, 400), (url, persona, response.status_code)
        words = latin_words(response.content.decode())
        if words:
            found[f"{url} ({persona or 'anonymous'})"] = words
    assert not found, "\n".join(f"{page}: {' '.join(words)}" for page, words in found.items())


@pytest.mark.parametrize(
    "password, message",
    [
        ("Ab1-x", "كلمة المرور هذه قصيرة جدًا، ويجب ألا تقل عن 10 أحرف."),
        ("12345678901", "كلمة المرور هذه شائعة جدًا."),
        ("73920184637", "كلمة المرور هذه تتكون من أرقام فقط."),
    ],
)
def test_a_weak_password_is_refused_in_arabic(client, db, password, message):
    """Django 5.2 reworded its validators' messages; its Arabic catalogue has not caught up."""
    response = client.post(
        "/ar/accounts/signup/",
        {
            "email": "new@example.ae",
            "full_name": "عائشة الكتبي",
            "password1": password,
            "password2": password,
        },
    )
    page = response.content.decode()
    assert message in page
    assert latin_words(page) == []


def test_the_upstream_messages_the_project_translates_are_still_upstream_wording():
    """If Django or allauth reword them again, the project's override silently stops applying."""
    from pathlib import Path

    import allauth
    import django

    from portal.management.commands.check_translations import upstream_overrides

    sources = "".join(
        p.read_text(encoding="utf-8")
        for root in (Path(django.__file__).parent / "contrib/auth", Path(allauth.__file__).parent)
        for p in root.rglob("*")
        if p.suffix in (".py", ".html")
    )
    with translation.override("en"):
        for message in upstream_overrides():
            assert message in sources, message


def test_latin_names_titles_and_values_are_marked_as_user_text(client, db, settings, private_media):
    """«مرحبًا، Eng. Khalid …»: what users type in Latin letters is marked so it reads in its own
    direction (and so the Latin-word check leaves it alone)."""
    from accounts.roles import Role
    from tests.factories import CustomerFactory, UserFactory
    from tests.transactions.factories import People, ServiceFactory, transaction_at

    settings.STAFF_MFA_REQUIRED = False
    service = ServiceFactory()
    people = People(
        service=service,
        customer=CustomerFactory(full_name="Omar Al Nuaimi"),
        reviewer=UserFactory(role=Role.REVIEWER, full_name="Eng. Khalid Al Suwaidi"),
    )
    t = transaction_at(Transaction.Status.UNDER_REVIEW, service=service, people=people)
    t.title = "Villa on plot 312-0912, Al Rahmaniya"
    t.save(update_fields=["title"])
    client.force_login(people.reviewer)
    for url in (f"/ar/transactions/{t.pk}/", "/ar/staff/transactions/", "/ar/staff/"):
        page = client.get(url).content.decode()
        assert latin_words(page) == [], (url, _latin_parts(page))
    assert "<bdi>Omar Al Nuaimi</bdi>" in client.get(f"/ar/transactions/{t.pk}/").content.decode()
