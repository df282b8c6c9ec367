from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    name = "perisco.families"
    label = "families"
    verbose_name = _("Families")
