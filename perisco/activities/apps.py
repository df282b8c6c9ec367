from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "perisco.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from perisco.activities import catalogue_cache

        catalogue_cache.connect()
