from django.tasks import task

from perisco.accounts.services import password_reset_request
from perisco.core.models import Organisation


@task()
def send_password_reset(organisation_id: int | None, email: str) -> None:
    """Look the address up and e-mail a link if it has an account, away from the request:
    the page answers after the same work whether the account exists or not."""
    organisation = (
        Organisation.objects.get(pk=organisation_id) if organisation_id is not None else None
    )
    password_reset_request(organisation=organisation, email=email)
