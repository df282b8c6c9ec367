"""Password policy per organisation (SPEC §2; default: 8 characters, upper, lower, digit)."""

import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# No upper cap below 128 (SPEC §2); this one only stops absurd inputs.
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    require_upper: bool = True
    require_lower: bool = True
    require_digit: bool = True
    require_symbol: bool = False

    @classmethod
    def for_organisation(cls, organisation) -> "PasswordPolicy":
        if organisation is None:
            return cls(min_length=12)
        return cls(
            min_length=organisation.password_min_length,
            require_upper=organisation.password_require_upper,
            require_lower=organisation.password_require_lower,
            require_digit=organisation.password_require_digit,
            require_symbol=organisation.password_require_symbol,
        )

    def errors(self, password: str) -> list[str]:
        problems = []
        if len(password) < self.min_length:
            problems.append(
                ngettext(
                    "It must contain at least %(n)d character.",
                    "It must contain at least %(n)d characters.",
                    self.min_length,
                )
                % {"n": self.min_length}
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            problems.append(
                _("It must contain at most %(n)d characters.") % {"n": MAX_PASSWORD_LENGTH}
            )
        if self.require_upper and not any(c.isupper() for c in password):
            problems.append(_("It must contain an upper-case letter."))
        if self.require_lower and not any(c.islower() for c in password):
            problems.append(_("It must contain a lower-case letter."))
        if self.require_digit and not any(c.isdigit() for c in password):
            problems.append(_("It must contain a digit."))
        if self.require_symbol and all(c.isalnum() or c in string.whitespace for c in password):
            problems.append(_("It must contain a symbol (for example ! ? # or %)."))
        return problems

    def rules(self) -> list[str]:
        """The rules in plain words, shown next to every new-password field."""
        rules = [
            ngettext(
                "At least %(n)d character",
                "At least %(n)d characters",
                self.min_length,
            )
            % {"n": self.min_length}
        ]
        if self.require_upper:
            rules.append(_("an upper-case letter"))
        if self.require_lower:
            rules.append(_("a lower-case letter"))
        if self.require_digit:
            rules.append(_("a digit"))
        if self.require_symbol:
            rules.append(_("a symbol"))
        rules.append(_("not a common password"))
        return rules


class OrganisationPolicyValidator:
    """AUTH_PASSWORD_VALIDATORS entry applying the policy of the user's organisation."""

    def validate(self, password: str, user=None) -> None:
        policy = PasswordPolicy.for_organisation(getattr(user, "organisation", None))
        problems = policy.errors(password)
        if problems:
            raise ValidationError(problems, code="password_policy")

    def get_help_text(self) -> str:
        return ", ".join(PasswordPolicy().rules())
