"""What people typed never becomes a link in an e-mail; e-mails say their language."""

import re

import pytest

from perisco.accounts.services import password_reset_request
from perisco.core.tests.factories import SchoolFactory
from perisco.families.tests.factories import guardian_user
from perisco.families.tests.test_registration import GUARDIAN, HOUSEHOLD, children

EVIL = "Visit www.evil-example.test now"


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


CONTACT = "http://testserver/demo/contact/"


def test_a_first_name_that_looks_like_a_link_stays_text(
    organisation, mailoutbox, django_capture_on_commit_callbacks
):
    user = guardian_user(organisation)
    user.first_name = EVIL
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(organisation=organisation, email=user.email)
    message = mailoutbox[0]
    html = message.alternatives[0].content
    for text in (message.body, html):
        assert "www.evil-example.test" not in text
        assert "www[.]evil-example[.]test" in text
    # Our own links still work, in both parts, and are the only links: the action's and
    # the contact page's in the signature.
    (url,) = re.findall(r"http://testserver/demo/mot-de-passe-oublie/\S+/", message.body)
    assert links(html) == [url, CONTACT]


def test_a_registration_with_a_link_in_the_name_sends_no_link_but_ours(
    client, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    school = SchoolFactory(organisation=organisation)
    guardian = {**GUARDIAN, "g1-first_name": "Go to https://evil-example.test/pay"}
    client.post("/demo/inscription/1/", guardian)
    client.post("/demo/inscription/2/", HOUSEHOLD)
    client.post("/demo/inscription/3/", children(school, first_name="www.evil.test"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/demo/inscription/4/", {"rules_accepted": "on"})
    message = mailoutbox[0]
    html = message.alternatives[0].content
    assert "https://evil-example.test" not in message.body + html
    assert "https[:]//evil-example[.]test/pay" in message.body
    (confirm, contact) = links(html)
    assert confirm.startswith("http://testserver/demo/inscription/")
    assert contact == CONTACT


def test_addresses_and_our_links_are_left_as_they_are(
    organisation, mailoutbox, django_capture_on_commit_callbacks
):
    from perisco.accounts.services import email_change_request

    user = guardian_user(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        email_change_request(user=user, new_email="nouvelle.adresse@example.test")
    assert "nouvelle.adresse@example.test" in mailoutbox[0].body


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_html_part_says_the_recipients_language(
    organisation, mailoutbox, django_capture_on_commit_callbacks, language
):
    user = guardian_user(organisation)
    user.language = language
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(organisation=organisation, email=user.email)
    assert f'<html lang="{language}">' in mailoutbox[0].alternatives[0].content


def test_an_organisation_s_email_ends_with_how_to_reach_it(
    organisation, mailoutbox, django_capture_on_commit_callbacks
):
    organisation.address, organisation.postal_code, organisation.city = "1 place", "64110", "Démo"
    organisation.phone, organisation.email = "05 59 00 00 00", "enfance@demo.test"
    organisation.save()
    user = guardian_user(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(organisation=organisation, email=user.email)
    message = mailoutbox[0]
    assert message.body.endswith(
        "--\nVille de Démo\n1 place\n64110 Démo\n05 59 00 00 00 · enfance@demo.test\n"
        f"Contact et horaires d'ouverture : {CONTACT}\n"
    )
    html = message.alternatives[0].content
    assert "05 59 00 00 00 · enfance@demo.test" in html
    assert CONTACT in links(html)
