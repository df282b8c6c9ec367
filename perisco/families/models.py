from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perisco.core.scoping import OrganisationOwned


class Family(OrganisationOwned):  # type: ignore[django-manager-missing]
    """A household ("foyer"): its guardians, the children it looks after, its account."""

    number = models.CharField(_("family number"), max_length=20)
    name = models.CharField(_("name"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "number"]
        verbose_name = _("family")
        verbose_name_plural = _("families")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="family_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class Civility(models.TextChoices):
    MRS = "mme", _("Mrs")
    MR = "m", _("Mr")


class Guardian(OrganisationOwned):
    """A parent or legal guardian ("responsable") of a family; may have a login."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="guardians")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian",
    )
    civility = models.CharField(_("civility"), max_length=3, choices=Civility, blank=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("e-mail address"), blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Sex(models.TextChoices):
    FEMALE = "F", _("Girl")
    MALE = "M", _("Boy")


class Child(OrganisationOwned):
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex)
    school = models.ForeignKey(
        "core.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("school"),
    )
    school_class = models.CharField(_("class"), max_length=30, blank=True)
    # A child of separated parents belongs to both households (SPEC §3, "garde alternée").
    families = models.ManyToManyField(Family, through="FamilyChild", related_name="children")

    class Meta:
        ordering = ["first_name", "last_name"]
        verbose_name = _("child")
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class FamilyChild(OrganisationOwned):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["family", "child"], name="family_child_unique")
        ]
