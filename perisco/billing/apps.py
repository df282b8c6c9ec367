from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "perisco.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from perisco.billing.selectors import overdue_hold
        from perisco.families.services import BOOKING_HOLDS

        if overdue_hold not in BOOKING_HOLDS:
            BOOKING_HOLDS.append(overdue_hold)
