from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo municipalities of `make run`: stands above the domain apps and uses them."""

    name = "perisco.demo"
    label = "demo"
    verbose_name = _("Demo data")
