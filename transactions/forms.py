"""Forms: the application form built from a checklist version's fields, and the small forms of
each action."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.files import PrivateFileField
from transactions.models import ChecklistItem, FeePayment, FormField, ServiceVersion

# Arabic-Indic (٠-٩) and Persian (۰-۹) digits, the Arabic decimal and thousands separators.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


def western_digits(value):
    """What a customer typed on an Arabic keyboard, with Western digits and without
    thousands separators, so that number fields understand it."""
    if isinstance(value, str):
        return value.translate(_DIGITS).replace(",", "").strip()
    return value


class _ArabicDigits:
    def to_python(self, value):
        return super().to_python(western_digits(value))


class ArabicIntegerField(_ArabicDigits, forms.IntegerField):
    pass


class ArabicDecimalField(_ArabicDigits, forms.DecimalField):
    pass


def _number_widget(mode: str) -> forms.TextInput:
    # A text input (not type=number): browsers drop Arabic-Indic digits from number inputs;
    # inputmode still brings up the numeric keypad.
    return forms.TextInput(attrs={"inputmode": mode, "dir": "ltr", "autocomplete": "off"})


def _form_field(field: FormField) -> forms.Field:
    # Drafts may be saved half-filled; submission checks the required ones.
    common = {"label": field.label, "required": False}
    minimum = field.min_value if field.min_value is not None else Decimal("0")
    if field.kind == FormField.Kind.INTEGER:
        return ArabicIntegerField(
            min_value=int(minimum), widget=_number_widget("numeric"), **common
        )
    if field.kind == FormField.Kind.DECIMAL:
        return ArabicDecimalField(
            min_value=minimum,
            max_digits=14,
            decimal_places=2,
            widget=_number_widget("decimal"),
            **common,
        )
    if field.kind == FormField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=300, **common)


def _to_json(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime.date, Decimal)):
        return str(value)
    return str(value).strip()


class ApplicationForm(forms.Form):
    title = forms.CharField(
        label=_("Project title"),
        max_length=200,
        help_text=_("A short name you will recognise, e.g. “Villa on plot 123, Al Rahmaniya”."),
    )

    def __init__(self, *args, version: ServiceVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        for field in version.fields.all():
            form_field = _form_field(field)
            if field.required:
                form_field.help_text = _("Required before you submit.")
            self.fields[f"f_{field.code}"] = form_field

    @classmethod
    def initial_for(cls, transaction) -> dict:
        return {"title": transaction.title} | {
            f"f_{code}": value for code, value in transaction.data.items()
        }

    def data_values(self) -> dict:
        return {
            name[2:]: _to_json(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("f_")
        }


def application_data_clean(*, version: ServiceVersion, data: dict) -> dict:
    """Check the values of a version's form fields (services never trust their caller) and
    return them as strings; unknown keys are refused. Raises ValidationError."""
    known = {f.code: f for f in version.fields.all()}
    unknown = set(data) - set(known)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = {}
    errors = {}
    for code, field in known.items():
        raw = data.get(code)
        if raw in (None, ""):
            continue
        try:
            cleaned[code] = _to_json(_form_field(field).clean(raw))
        except (ValidationError, InvalidOperation) as error:
            errors[code] = error.messages if isinstance(error, ValidationError) else [str(error)]
    if errors:
        raise ValidationError(errors)
    return cleaned


class DocumentUploadForm(forms.Form):
    item = forms.ModelChoiceField(queryset=ChecklistItem.objects.none(), label=_("Document"))
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, transaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = transaction.version.checklist.all()

    def clean(self):
        cleaned = super().clean()
        item, upload = cleaned.get("item"), cleaned.get("file")
        if item and upload:
            field = PrivateFileField(kinds=tuple(item.kinds))
            try:
                field.clean(upload)
            except ValidationError as error:
                self.add_error("file", error)
        return cleaned


class RemarkAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    file = forms.FileField(label=_("New version of the document"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReturnIncompleteForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        queryset=ChecklistItem.objects.none(),
        label=_("Missing or unusable documents"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label=_("Note to the customer"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, transaction, **kwargs):
        super().__init__(*args, **kwargs)
        # Only items of the transaction's own checklist version can be asked for.
        self.fields["items"].queryset = transaction.version.checklist.all()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("items") and not (cleaned.get("note") or "").strip():
            raise ValidationError(_("Name the missing documents or explain what is missing."))
        return cleaned


class RemarkForm(forms.Form):
    text = forms.CharField(label=_("Remark"), widget=forms.Textarea(attrs={"rows": 3}))
    item = forms.ModelChoiceField(
        queryset=ChecklistItem.objects.none(),
        label=_("About document (optional)"),
        required=False,
    )

    def __init__(self, *args, transaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = transaction.version.checklist.all()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Assign to"))

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class FeePaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("How you paid"), choices=FeePayment.Method.choices)
    payer_reference = forms.CharField(
        label=_("Receipt or transfer reference"),
        max_length=60,
        help_text=_("The number on the counter receipt or the bank transfer."),
    )
    proof = PrivateFileField(
        kinds=("pdf", "jpeg", "png"), label=_("Copy of the receipt (optional)"), required=False
    )
