from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "perisco.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models import Field, ForeignObject, fields

        from perisco.core.bulk import AnyOf
        from perisco.core.forms import BLANK_CHOICE_LABEL

        Field.register_lookup(AnyOf)
        ForeignObject.register_lookup(AnyOf)  # which reads only its own lookups

        # Django reads this when a form field is built (its "overwrite in ready()" hook).
        fields.BLANK_CHOICE_LABEL = BLANK_CHOICE_LABEL
