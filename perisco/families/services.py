from django.db import transaction
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.accounts.services import invitation_send
from perisco.core.errors import DomainError
from perisco.core.sequences import next_value
from perisco.families.models import Family, Guardian


def family_number_next(organisation) -> str:
    return f"{next_value(organisation=organisation, key='family'):06d}"


@transaction.atomic
def guardian_invite(*, guardian: Guardian, actor: User) -> User:
    """Give a guardian a login: an e-mail whose single-use link sets their password."""
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    if not guardian.email:
        raise DomainError(_("This guardian has no e-mail address: add one to their file first."))
    user = guardian.user
    if user is None:
        if User.objects.filter(email=guardian.email).exists():
            raise DomainError(_("Another account already uses this e-mail address."))
        user = User.all_objects.create_user(
            guardian.email,
            organisation=guardian.organisation,
            role=Role.GUARDIAN,
            first_name=guardian.first_name,
            last_name=guardian.last_name,
        )
        guardian.user = user
        guardian.save(update_fields=["user"])
    invitation_send(user=user, actor=actor)
    return user


@transaction.atomic
def family_create(*, organisation, name: str) -> Family:
    return Family.objects.create(
        organisation=organisation, name=name, number=family_number_next(organisation)
    )
