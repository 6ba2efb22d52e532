"""The forms of the tenders pages: the contracts engineer's draft (with its criteria, bill of
quantities, documents and committee), the supplier's bid, and the small form of each action.
Forms check input only; every rule about the tender is its service's."""

from decimal import Decimal

from django import forms
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import ClassificationCategory, Organization
from portal.files import PrivateFileField
from tenders.models import BidFile, Tender, TenderDocument
from tenders.services.bids import BOND_SCAN_KINDS, TECHNICAL_FILES_MAX, TECHNICAL_KINDS
from tenders.services.committee import PASSPHRASE_MIN_LENGTH
from tenders.services.lifecycle import DOCUMENT_KINDS

# Arabic-Indic (٠-٩) and Persian (۰-۹) digits, the Arabic decimal and thousands separators
# (as transactions.forms reads them; tenders may not import transactions).
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


def western_digits(value):
    """What was typed on an Arabic keyboard, with Western digits and no thousands separators."""
    if isinstance(value, str):
        return value.translate(_DIGITS).replace(",", "").strip()
    return value


class ArabicIntegerField(forms.IntegerField):
    def to_python(self, value):
        return super().to_python(western_digits(value))


class ArabicDecimalField(forms.DecimalField):
    def to_python(self, value):
        return super().to_python(western_digits(value))


DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DubaiDateTimeField(forms.DateTimeField):
    """A date and time typed in Dubai time (the site's time zone) in the browser's picker."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        )
        super().__init__(input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], **kwargs)


def _money(label, **kwargs) -> ArabicDecimalField:
    return ArabicDecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}),
        **kwargs,
    )


def _percent(label, **kwargs) -> ArabicDecimalField:
    return ArabicDecimalField(
        label=label,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}),
        **kwargs,
    )


# --- the contracts engineer's draft --------------------------------------------------------------


class TenderForm(forms.Form):
    """A draft's own fields: what it is, who may bid, how bids are judged and its dates."""

    title_ar = forms.CharField(label=_("Title (Arabic)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300)
    description_ar = forms.CharField(
        label=_("Description (Arabic)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ChoiceField(label=_("Category"), choices=Tender.Category.choices)
    method = forms.ChoiceField(label=_("Method"), choices=Tender.Method.choices)
    # Typed, not chosen from a list: the register holds thousands of organizations.
    invited = forms.CharField(
        label=_("Invited organizations (limited tenders)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=_("Their trade licence numbers, one per line."),
    )
    eligible_kinds = forms.MultipleChoiceField(
        label=_("Organizations that may bid"),
        choices=Organization.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    min_grade = forms.ChoiceField(
        label=_("Lowest classification grade accepted"),
        choices=[("", _("Any grade")), *Organization.Grade.choices],
        required=False,
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Classification categories (none: any)"),
        queryset=ClassificationCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    estimated_value = _money(_("Estimated value (AED, never shown to bidders)"))
    bid_bond_percent = _percent(_("Bid bond (percent of the offer)"))
    bid_validity_days = ArabicIntegerField(
        label=_("Bid validity (days)"),
        min_value=1,
        max_value=730,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    technical_pass_mark = _percent(_("Technical pass mark (out of 100)"))
    financial_method = forms.ChoiceField(
        label=_("Financial evaluation"), choices=Tender.FinancialMethod.choices
    )
    technical_weight = _percent(_("Technical weight (%, combined evaluation only)"), required=False)
    enquiries_deadline = DubaiDateTimeField(label=_("Questions until (Dubai time)"))
    submission_deadline = DubaiDateTimeField(label=_("Bids until (Dubai time)"))
    opening_at = DubaiDateTimeField(label=_("Opening (Dubai time)"))

    FIELDS = (
        "title_ar",
        "title_en",
        "description_ar",
        "description_en",
        "category",
        "method",
        "eligible_kinds",
        "min_grade",
        "estimated_value",
        "bid_bond_percent",
        "bid_validity_days",
        "technical_pass_mark",
        "financial_method",
        "technical_weight",
        "enquiries_deadline",
        "submission_deadline",
        "opening_at",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = ClassificationCategory.objects.all()

    @classmethod
    def initial_for(cls, tender: Tender) -> dict:
        initial = {name: getattr(tender, name) for name in cls.FIELDS}
        initial["invited"] = "\n".join(
            tender.invited.order_by("trade_licence_number").values_list(
                "trade_licence_number", flat=True
            )
        )
        initial["categories"] = list(tender.categories.all())
        return initial

    def clean_invited(self) -> list[Organization]:
        numbers = {
            line.strip() for line in self.cleaned_data["invited"].splitlines() if line.strip()
        }
        found = list(Organization.objects.filter(trade_licence_number__in=numbers))
        unknown = sorted(numbers - {o.trade_licence_number for o in found})
        if unknown:
            raise forms.ValidationError(
                gettext("No organization has these trade licence numbers: %(numbers)s.")
                % {"numbers": ", ".join(unknown)}
            )
        return found

    def values(self) -> dict:
        """The cleaned values, as the services take them."""
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        data["technical_weight"] = data["technical_weight"] or Decimal("0")
        data["invited"] = list(self.cleaned_data["invited"])
        data["categories"] = list(self.cleaned_data["categories"])
        return data


class CriterionForm(forms.Form):
    name_ar = forms.CharField(label=_("Criterion (Arabic)"), max_length=200)
    name_en = forms.CharField(label=_("Criterion (English)"), max_length=200)
    weight = _percent(_("Weight (%)"))


class BoqItemForm(forms.Form):
    code = forms.CharField(label=_("Item code"), max_length=30)
    description_ar = forms.CharField(label=_("Description (Arabic)"), max_length=300)
    description_en = forms.CharField(label=_("Description (English)"), max_length=300)
    unit = forms.CharField(label=_("Unit"), max_length=20)
    quantity = ArabicDecimalField(
        label=_("Quantity"),
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TenderDocument.Kind.choices)
    title_ar = forms.CharField(label=_("Title (Arabic)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    file = PrivateFileField(label=_("File"), kinds=DOCUMENT_KINDS)


class CommitteeMemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Committee member"), queryset=None)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates
        self.fields["user"].label_from_instance = lambda u: u.full_name or u.email


class ReplaceMemberForm(forms.Form):
    """A member who forgot the passphrase (or left) is replaced before the deadline: two other
    members type their passphrases here to agree (their shares rebuild the tender's key)."""

    old_user = forms.ModelChoiceField(label=_("Member to replace"), queryset=None)
    new_user = forms.ModelChoiceField(label=_("New member"), queryset=None)
    approver_1 = forms.ModelChoiceField(label=_("First member agreeing"), queryset=None)
    passphrase_1 = forms.CharField(
        label=_("First member's opening passphrase"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    approver_2 = forms.ModelChoiceField(label=_("Second member agreeing"), queryset=None)
    passphrase_2 = forms.CharField(
        label=_("Second member's opening passphrase"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, members, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("old_user", "approver_1", "approver_2"):
            self.fields[name].queryset = members
        self.fields["new_user"].queryset = candidates
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.label_from_instance = lambda u: u.full_name or u.email

    def approvals(self) -> list[tuple]:
        data = self.cleaned_data
        return [
            (data["approver_1"], data["passphrase_1"]),
            (data["approver_2"], data["passphrase_2"]),
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer (published to every eligible supplier)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AddendumForm(forms.Form):
    description_ar = forms.CharField(
        label=_("What changes (Arabic)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    description_en = forms.CharField(
        label=_("What changes (English)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    new_submission_deadline = DubaiDateTimeField(
        label=_("New bid deadline (Dubai time; leave empty to keep it)"), required=False
    )
    document_kind = forms.ChoiceField(
        label=_("Replaced document"),
        choices=[("", _("No document")), *TenderDocument.Kind.choices],
        required=False,
    )
    document_title_ar = forms.CharField(
        label=_("Document title (Arabic)"), max_length=200, required=False
    )
    document_title_en = forms.CharField(
        label=_("Document title (English)"), max_length=200, required=False
    )
    document_file = PrivateFileField(
        label=_("New version of the document"), kinds=DOCUMENT_KINDS, required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("document_file") and not data.get("document_kind"):
            self.add_error("document_kind", _("Say which document the file replaces."))
        if data.get("document_kind") and not data.get("document_file"):
            self.add_error("document_file", _("Choose the new version's file."))
        return data

    def documents(self) -> list[dict]:
        if not self.cleaned_data.get("document_file"):
            return []
        return [
            {
                "kind": self.cleaned_data["document_kind"],
                "title_ar": self.cleaned_data["document_title_ar"],
                "title_en": self.cleaned_data["document_title_en"],
                "upload": self.cleaned_data["document_file"],
            }
        ]


class ContractForm(forms.Form):
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    value = _money(_("Contract value (AED)"))


# --- the supplier's side -------------------------------------------------------------------------


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question (published with its answer, without your name)"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePrivateFileField(PrivateFileField):
    """Several files at once, each checked as PrivateFileField checks one."""

    def __init__(self, *, max_files: int, **kwargs):
        self.max_files = max_files
        super().__init__(**kwargs)
        self.widget = MultipleFileInput(attrs=self.widget.attrs)

    def clean(self, data, initial=None):
        single = super().clean
        items = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if not items:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(items) > self.max_files:
            raise forms.ValidationError(
                gettext("Attach at most %(max)s files.") % {"max": self.max_files},
                code="max_files",
            )
        return [single(item, initial) for item in items]


class BidForm(forms.Form):
    """The financial offer (a total and a unit rate for each bill-of-quantities line), the bid
    bond and the technical envelope. Rates are fields `rate_<item id>`; they are sealed with the
    rest and never stored in clear before the opening."""

    total = _money(_("Total offer (AED)"))
    bond_bank = forms.CharField(label=_("Bank"), max_length=200)
    bond_number = forms.CharField(label=_("Guarantee number"), max_length=100)
    bond_amount = _money(_("Guarantee amount (AED)"))
    bond_expiry = forms.DateField(
        label=_("Guarantee expiry"), widget=forms.DateInput(attrs={"type": "date"})
    )
    bond_scan = PrivateFileField(label=_("Scan of the bank guarantee"), kinds=BOND_SCAN_KINDS)
    technical_files = MultiplePrivateFileField(
        label=_("Technical envelope (one or more files)"),
        kinds=TECHNICAL_KINDS,
        max_files=TECHNICAL_FILES_MAX,
    )

    def __init__(self, *args, boq_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.boq_items = list(boq_items)
        for item in self.boq_items:
            self.fields[f"rate_{item.pk}"] = ArabicDecimalField(
                # The item's code and unit are the engineer's text, in their own direction.
                label=mark_safe(  # noqa: S308 - the template is escaped, the values are bdi
                    conditional_escape(gettext("%(code)s — rate per %(unit)s (AED)"))
                    % {
                        "code": format_html("<bdi>{}</bdi>", item.code),
                        "unit": format_html("<bdi>{}</bdi>", item.unit),
                    }
                ),
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0"),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
            )

    def rate_fields(self):
        return [(item, self[f"rate_{item.pk}"]) for item in self.boq_items]

    # Where a service's refusal goes on the form (tenders.services.bids names its fields).
    SERVICE_FIELDS = {"offer": "total", "files": "technical_files", "bond": "bond_amount"}

    def offer(self) -> dict:
        """What the bid services take: offer=, boq_prices=, bond=, files=."""
        data = self.cleaned_data
        return {
            "offer": data["total"],
            "boq_prices": {item.code: data[f"rate_{item.pk}"] for item in self.boq_items},
            "bond": {
                "bank": data["bond_bank"],
                "number": data["bond_number"],
                "amount": data["bond_amount"],
                "expiry": data["bond_expiry"],
            },
            "files": [(BidFile.Kind.TECHNICAL, f) for f in data["technical_files"]]
            + [(BidFile.Kind.BOND_SCAN, data["bond_scan"])],
        }


# --- the committee -------------------------------------------------------------------------------


class PassphraseSetForm(forms.Form):
    passphrase = forms.CharField(
        label=_("New opening passphrase"),
        min_length=PASSPHRASE_MIN_LENGTH,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        # Lazy: read in each request's language.
        help_text=lazy(
            lambda: (
                gettext(
                    "At least %(n)s characters. Nobody can recover it: if you forget it, the "
                    "tender committee must replace your share before the deadline."
                )
                % {"n": PASSPHRASE_MIN_LENGTH}
            ),
            str,
        )(),
    )
    passphrase2 = forms.CharField(
        label=_("The passphrase again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("passphrase") != data.get("passphrase2"):
            self.add_error("passphrase2", _("The two passphrases differ."))
        return data


class PassphraseForm(forms.Form):
    passphrase = forms.CharField(
        label=_("Your opening passphrase"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ConflictForm(forms.Form):
    no_conflict = forms.TypedChoiceField(
        label=_("Declaration"),
        choices=[
            ("yes", _("I have no conflict of interest with any of the bidders")),
            ("no", _("I have a conflict of interest (I will not evaluate)")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ComplianceForm(forms.Form):
    compliant = forms.TypedChoiceField(
        label=_("Technically compliant"),
        choices=[("yes", _("Compliant")), ("no", _("Not compliant"))],
        coerce=lambda value: value == "yes",
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class ScoreSheetForm(forms.Form):
    """One evaluator's scores for one bid, a field `score_<criterion id>` per criterion."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = ArabicDecimalField(
                label=criterion.name,
                max_digits=5,
                decimal_places=2,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
            )

    def scores(self) -> list[tuple]:
        return [
            (c, self.cleaned_data[f"score_{c.pk}"])
            for c in self.criteria
            if self.cleaned_data.get(f"score_{c.pk}") is not None
        ]


class RecommendationForm(forms.Form):
    bid = forms.ModelChoiceField(label=_("Recommended bid"), queryset=None)
    justification = forms.CharField(
        label=_("Justification (required when it is not the first-ranked bid)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, bids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bid"].queryset = bids
        self.fields["bid"].label_from_instance = lambda b: b.organization.name


__all__ = [
    "AddendumForm",
    "AnswerForm",
    "BidForm",
    "BoqItemForm",
    "CommitteeMemberForm",
    "ComplianceForm",
    "ConflictForm",
    "ContractForm",
    "CriterionForm",
    "DocumentForm",
    "ObjectionForm",
    "PassphraseForm",
    "PassphraseSetForm",
    "QuestionForm",
    "ReasonForm",
    "ReplaceMemberForm",
    "RecommendationForm",
    "ScoreSheetForm",
    "TenderForm",
    "western_digits",
]
