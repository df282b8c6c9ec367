"""What staff read after a decision says truly whether the family was e-mailed."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def family_told(emailed: int) -> str:
    """The sentence after a decision, from the number of e-mails the service queued."""
    if emailed:
        return _("The family is told by e-mail.")
    return _(
        "No e-mail was sent: no guardian of this family has a login that accepts e-mails. "
        "Tell them another way if needed."
    )


def families_not_told(count: int) -> str:
    """After a bulk decision: how many families got no e-mail ("" when all did)."""
    if not count:
        return ""
    return ngettext(
        "No e-mail was sent to %(n)d family (no guardian with a login that accepts "
        "e-mails): tell them another way if needed.",
        "No e-mail was sent to %(n)d families (no guardian with a login that accepts "
        "e-mails): tell them another way if needed.",
        count,
    ) % {"n": count}
