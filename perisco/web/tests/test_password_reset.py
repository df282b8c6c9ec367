import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from perisco.accounts.tests.factories import UserFactory
from perisco.families.tests.factories import guardian_user

RESET = "/demo/mot-de-passe-oublie/"


def link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_a_known_address_receives_a_link_and_the_answer_reveals_nothing(
    post, organisation, mailoutbox
):
    user = guardian_user(organisation)
    known = post(RESET, {"email": user.email})
    unknown = post(RESET, {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200

    def page(response):
        text = response.text.replace(user.email, "X").replace("nobody@example.test", "X")
        return re.sub(r'(nonce|value)="[^"]*"', "", text)

    assert page(known) == page(unknown)
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert "/demo/mot-de-passe-oublie/" in mailoutbox[0].body


def test_an_account_of_another_organisation_gets_no_link(
    post, organisation, other_organisation, mailoutbox
):
    user = UserFactory(organisation=other_organisation)
    post(RESET, {"email": user.email})
    assert mailoutbox == []


def test_the_link_sets_a_new_password_once(client, post, organisation, mailoutbox):
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    url = link_in(mailoutbox[0])
    assert client.get(url).status_code == 200
    response = post(url, {"new_password1": "Vacances-2027", "new_password2": "Vacances-2027"})
    assert response["Location"] == "/demo/famille/"
    user.refresh_from_db()
    assert user.check_password("Vacances-2027")
    assert mailoutbox[-1].subject == "Votre mot de passe a été modifié"
    client.logout()
    reused = client.get(url)
    assert reused.status_code == 400
    assert "no longer works" in reused.text or "ne fonctionne plus" in reused.text


def test_the_link_expires_after_24_hours(client, post, organisation, mailoutbox):
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    url = link_in(mailoutbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert client.get(url).status_code == 400


def test_signing_in_with_the_old_password_voids_the_link(client, post, organisation, mailoutbox):
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    url = link_in(mailoutbox[0])
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        client.post("/demo/connexion/", {"email": user.email, "password": "Bon-mot-de-passe-42"})
    client.logout()
    assert client.get(url).status_code == 400


def test_a_link_of_one_organisation_does_not_work_on_another(
    client, post, organisation, other_organisation, mailoutbox
):
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    url = link_in(mailoutbox[0]).replace("/demo/", "/val/")
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("court1A", "at least 8 characters"),
        ("sansmajuscule1", "upper-case letter"),
        ("SANSMINUSCULE1", "lower-case letter"),
        ("SansChiffre", "a digit"),
        ("Password123", "too common"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(
    client, post, organisation, mailoutbox, password, message
):
    client.cookies["perisco_language"] = "en"
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    url = link_in(mailoutbox[0])
    response = client.post(url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 200
    assert message in response.text
    user.refresh_from_db()
    assert user.check_password("Bon-mot-de-passe-42")


def test_the_two_passwords_must_match(client, post, organisation, mailoutbox):
    client.cookies["perisco_language"] = "en"
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    response = client.post(
        link_in(mailoutbox[0]), {"new_password1": "Vacances-2027", "new_password2": "Vacances-2028"}
    )
    assert "The two passwords differ" in response.text


def test_the_organisation_policy_applies(client, post, organisation, mailoutbox):
    client.cookies["perisco_language"] = "en"
    organisation.password_min_length = 12
    organisation.password_require_symbol = True
    organisation.save()
    user = guardian_user(organisation)
    post(RESET, {"email": user.email})
    url = link_in(mailoutbox[0])
    page = client.get(url)
    assert "At least 12 characters" in page.text
    response = client.post(url, {"new_password1": "Vacances2027", "new_password2": "Vacances2027"})
    assert "symbol" in response.text
    response = client.post(
        url, {"new_password1": "Vacances-2027!", "new_password2": "Vacances-2027!"}
    )
    assert response.status_code == 302
