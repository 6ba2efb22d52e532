from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

mobile_validator = RegexValidator(
    regex=r"^\+?[0-9]{9,15}$",
    message=_("Enter a mobile number of 9 to 15 digits, for example +971501234567."),
)


class ClassificationCategory(models.Model):
    """A registration / classification category (buildings, roads, electromechanical, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        ordering = ["code"]
        verbose_name = _("classification category")
        verbose_name_plural = _("classification categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class Organization(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CONSULTANT = "consultant", _("Consultant office")
        DEVELOPER = "developer", _("Developer")
        CONTRACTOR = "contractor", _("Contractor")
        SUPPLIER = "supplier", _("Supplier")

    class Grade(models.TextChoices):
        FIRST = "1", _("First grade")
        SECOND = "2", _("Second grade")
        THIRD = "3", _("Third grade")
        FOURTH = "4", _("Fourth grade")
        FIFTH = "5", _("Fifth grade")

    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    trade_licence_number = models.CharField(_("trade licence number"), max_length=50, blank=True)
    trade_licence_expiry = models.DateField(_("trade licence expiry"), null=True, blank=True)
    classification_grade = models.CharField(
        _("classification grade"), max_length=2, choices=Grade.choices, blank=True
    )
    categories = models.ManyToManyField(
        ClassificationCategory,
        blank=True,
        related_name="organizations",
        verbose_name=_("classification categories"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[mobile_validator])
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.UniqueConstraint(
                fields=["trade_licence_number"],
                condition=~models.Q(trade_licence_number=""),
                name="organization_unique_trade_licence",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en

    def user_can_view_files(self, user) -> bool:
        """Members of the organization may open its files (e.g. the trade licence copy)."""
        return user.is_authenticated and user.organization_id == self.pk

    @property
    def licence_expired(self) -> bool:
        return bool(self.trade_licence_expiry and self.trade_licence_expiry < timezone.localdate())


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address. Roles are groups (accounts.roles)."""

    class OrganizationRole(models.TextChoices):
        MANAGER = "manager", _("Manager")
        MEMBER = "member", _("Member")

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    mobile = models.CharField(
        _("mobile number"), max_length=20, blank=True, validators=[mobile_validator]
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default="ar"
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("organization"),
    )
    organization_role = models.CharField(
        _("role in the organization"),
        max_length=10,
        choices=OrganizationRole.choices,
        default=OrganizationRole.MEMBER,
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def manages_organization(self) -> bool:
        return (
            self.organization_id is not None
            and self.organization_role == self.OrganizationRole.MANAGER
        )


class Team(models.Model):
    """A department team: reviews the services assigned to it (and, later, hosts meetings).
    Its supervisor is told about overdue work."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    supervisor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_teams",
        verbose_name=_("supervisor"),
    )
    members = models.ManyToManyField(
        User, blank=True, related_name="teams", verbose_name=_("members")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en
