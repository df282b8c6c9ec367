"""Staff see, on a family's page, the e-mails written to it and whether they went out."""

from unittest import mock

from perisco.activities.services import enrollment_notify
from perisco.conftest import sign_in
from perisco.messaging.models import EmailStatus, OutgoingEmail
from perisco.messaging.services import email_deliver

SEND = "django.core.mail.EmailMultiAlternatives.send"


def notify(child, family):
    enrollment = child.enrollments.get()
    enrollment_notify(enrollment, "enrollment_validated")
    return OutgoingEmail.objects.with_scopes_disabled().filter(family=family).order_by("pk")


def test_the_family_page_lists_its_emails_and_their_delivery(
    client, manager, family, child, other_family, make_child, canteen, parent
):
    emails = notify(child, family)
    assert [e.recipient for e in emails] == [parent.email]
    assert email_deliver(email_id=emails[0].pk) is True
    notify(child, family)
    with mock.patch(SEND, side_effect=OSError("no route")):
        failed = emails.last()
        email_deliver(email_id=failed.pk)
    OutgoingEmail.objects.with_scopes_disabled().filter(pk=failed.pk).update(
        status=EmailStatus.FAILED
    )
    notify(make_child(other_family, canteen, first_name="Ailleurs"), other_family)
    sign_in(client, manager)
    page = client.get(f"/demo/gestion/familles/{family.pk}/").text
    assert "E-mails envoyés" in page
    assert page.count(emails[0].subject) == 2
    assert "envoyé le " in page
    assert "échec après 1 tentative" in page
    assert "Ailleurs" not in page


def test_a_family_never_written_to_says_so(client, manager, family):
    sign_in(client, manager)
    page = client.get(f"/demo/gestion/familles/{family.pk}/").text
    assert "Aucun e-mail écrit à cette famille." in page
    assert "Les e-mails sont conservés 90 jours" in page
