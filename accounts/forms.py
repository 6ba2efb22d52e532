from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, User
from portal.files import PrivateFileField


class SignupDetailsForm(forms.Form):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        help_text=_("Optional. Used for SMS notifications, for example +971501234567."),
    )

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].replace(" ", "")
        if value:
            User._meta.get_field("mobile").run_validators(value)
        return value

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.mobile = self.cleaned_data["mobile"]
        user.save(update_fields=["full_name", "mobile"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "mobile", "preferred_language"]


class OrganizationForm(forms.ModelForm):
    trade_licence_copy = PrivateFileField(
        kinds=("pdf", "jpeg", "png"),
        required=False,
        label=_("Copy of the trade licence"),
    )

    class Meta:
        model = Organization
        fields = [
            "name_ar",
            "name_en",
            "kind",
            "trade_licence_number",
            "trade_licence_expiry",
            "classification_grade",
            "categories",
            "email",
            "phone",
            "address",
        ]
        widgets = {
            "trade_licence_expiry": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "categories": forms.CheckboxSelectMultiple,
        }

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and kind != Organization.Kind.INDIVIDUAL:
            if not data.get("trade_licence_number"):
                self.add_error(
                    "trade_licence_number", _("A trade licence number is required for this kind.")
                )
            expiry = data.get("trade_licence_expiry")
            if not expiry:
                self.add_error(
                    "trade_licence_expiry",
                    _("The trade licence expiry date is required for this kind."),
                )
            elif expiry < timezone.localdate():
                self.add_error(
                    "trade_licence_expiry",
                    _("The trade licence has expired; renew it before registering."),
                )
        if kind == Organization.Kind.CONTRACTOR and not data.get("classification_grade"):
            self.add_error(
                "classification_grade", _("Contractors must state their classification grade.")
            )
        return data
