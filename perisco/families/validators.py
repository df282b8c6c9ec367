from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import bic, iban
from stdnum.exceptions import ValidationError as StdnumError


def validate_iban(value: str) -> None:
    try:
        iban.validate(value)
    except StdnumError:
        raise ValidationError(
            _("This IBAN is not valid: check it against your bank statement (e.g. FR76 3000 …)."),
            code="invalid_iban",
        ) from None


def validate_bic(value: str) -> None:
    if not value:
        return
    try:
        bic.validate(value)
    except StdnumError:
        raise ValidationError(
            _("This BIC is not valid: it has 8 or 11 letters and digits (e.g. BNPAFRPP)."),
            code="invalid_bic",
        ) from None


def validate_not_in_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future_date")
