from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import ClassificationCategory, Organization, User
from accounts.roles import user_roles
from portal.api import RequiredChoice


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("E-mail"))
    password = serializers.CharField(
        label=_("Password"), trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        label=_("Authenticator code"),
        required=False,
        allow_blank=True,
        max_length=16,
        help_text=_("The code from the authenticator app; required when TOTP is set up."),
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Shown once; only its hash is stored."))
    expiry = serializers.DateTimeField()


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassificationCategory
        fields = ["code", "name_ar", "name_en"]


class OrganizationSerializer(serializers.ModelSerializer):
    categories = CategorySerializer(many=True, read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
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


class MeSerializer(RequiredChoice, serializers.ModelSerializer):
    """The signed-in person; a PATCH must change at least one of the writable fields."""

    schema_any_of = ("full_name", "mobile", "preferred_language")

    roles = serializers.SerializerMethodField()
    # Staff and customers who have not registered one have no organization.
    organization = OrganizationSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "mobile",
            "preferred_language",
            "roles",
            "organization",
            "organization_role",
        ]
        read_only_fields = ["id", "email", "roles", "organization", "organization_role"]

    def get_roles(self, obj: User) -> list[str]:
        return sorted(user_roles(obj))

    def validate(self, attrs: dict) -> dict:
        # An empty PATCH would answer 200 having changed nothing; say what was expected.
        if self.partial and not attrs:
            raise serializers.ValidationError(
                _("Send at least one field to change: full_name, mobile or preferred_language."),
                code="empty",
            )
        return attrs
