from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "perisco.billing"
    label = "billing"
    verbose_name = "Billing"
