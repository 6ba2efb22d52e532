from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import ClassificationCategory, Organization, User
from accounts.roles import user_roles


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("E-mail"))
    password = serializers.CharField(
        label=_("Password"), trim_whitespace=False, style={"input_type": "password"}
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


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


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    organization = OrganizationSerializer(read_only=True)

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
