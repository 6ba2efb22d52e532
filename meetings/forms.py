"""Forms of the meeting pages: each one cleans what its service takes, nothing more."""

import datetime

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting
from meetings.selectors import DUBAI
from meetings.services import ATTACHMENT_KINDS
from portal.files import KINDS, PrivateFileField

MAX_ATTACHMENTS = 5


def slot_value(moment: datetime.datetime) -> str:
    """A free time as it travels in a form: ISO 8601 in Dubai time."""
    return moment.astimezone(DUBAI).isoformat(timespec="minutes")


def slot_label(moment: datetime.datetime) -> str:
    return formats.time_format(moment.astimezone(DUBAI), "H:i")


def day_label(day: datetime.date) -> str:
    return formats.date_format(day, "l j F")


def slots_by_day(slots) -> dict[datetime.date, list[datetime.datetime]]:
    """Free start times grouped by their Dubai date, in order."""
    days: dict[datetime.date, list[datetime.datetime]] = {}
    for moment in sorted(slots):
        days.setdefault(moment.astimezone(DUBAI).date(), []).append(moment)
    return days


class SlotField(forms.ChoiceField):
    """One of the offered free times; cleans to an aware datetime."""

    def __init__(self, *, slots, grouped: bool = False, **kwargs):
        self.slots = {slot_value(s): s for s in slots}
        if grouped:
            choices = [
                (day_label(day), [(slot_value(s), slot_label(s)) for s in moments])
                for day, moments in slots_by_day(slots).items()
            ]
        else:
            choices = [(value, slot_label(s)) for value, s in self.slots.items()]
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": _("This time is no longer available; please choose another.")},
        )
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        return self.slots[super().clean(value)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(PrivateFileField):
    """Up to MAX_ATTACHMENTS files, each checked by content like any private upload."""

    def __init__(self, **kwargs):
        accept = ",".join(ext for k in ATTACHMENT_KINDS for ext in KINDS[k].extensions)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(kinds=ATTACHMENT_KINDS, **kwargs)

    def clean(self, data, initial=None):
        uploads = [d for d in (data if isinstance(data, (list, tuple)) else [data]) if d]
        if len(uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(n)s files.") % {"n": MAX_ATTACHMENTS}, code="too_many"
            )
        if not uploads and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(AttachmentsField, self).clean(upload, initial) for upload in uploads]


class BookingForm(forms.Form):
    agenda = forms.CharField(
        label=_("What would you like to discuss?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few lines, so that the engineer can prepare."),
    )
    attachments = AttachmentsField(label=_("Attachments (optional)"), required=False)

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = SlotField(
            slots=slots, label=_("Time (Dubai)"), widget=forms.RadioSelect
        )
        self.order_fields(["starts_at", "agenda", "attachments"])


class RescheduleForm(forms.Form):
    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = SlotField(slots=slots, grouped=True, label=_("New time (Dubai)"))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, reason_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if not reason_required:
            self.fields["reason"].label = _("Reason (optional)")


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Meeting.Outcome.choices, widget=forms.RadioSelect
    )
    follow_up = forms.CharField(
        label=_("Follow-up actions"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was the meeting?"),
        coerce=int,
        choices=[
            (Meeting.Rating.SATISFIED, _("Satisfied")),
            (Meeting.Rating.NEUTRAL, _("Neutral")),
            (Meeting.Rating.DISSATISFIED, _("Dissatisfied")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RegisterForm(forms.Form):
    question = forms.CharField(
        label=_("Your question in advance (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SessionForm(forms.Form):
    title_ar = forms.CharField(label=_("Title (Arabic)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    agenda = forms.CharField(
        label=_("What the session covers"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time (Dubai)"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=15, max_value=240, initial=60
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500, initial=30)

    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"], DUBAI)
