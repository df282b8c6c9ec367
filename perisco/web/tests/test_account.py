import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from perisco.accounts.models import User
from perisco.accounts.tests.factories import PASSWORD, UserFactory
from perisco.families.tests.factories import guardian_user


def link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_change_password_keeps_the_session_and_tells_the_user(
    client, post, organisation, mailoutbox
):
    user = guardian_user(organisation)
    client.force_login(user)
    response = post(
        "/demo/compte/mot-de-passe/",
        {
            "old_password": PASSWORD,
            "new_password1": "Nouveau-2026x",
            "new_password2": "Nouveau-2026x",
        },
    )
    assert response["Location"] == "/demo/famille/"
    assert client.get("/demo/famille/").status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password("Nouveau-2026x")
    assert [m.subject for m in mailoutbox] == ["Votre mot de passe a été modifié"]


def test_change_password_needs_the_current_one(client, organisation):
    client.cookies["perisco_language"] = "en"
    user = guardian_user(organisation)
    client.force_login(user)
    response = client.post(
        "/demo/compte/mot-de-passe/",
        {
            "old_password": "wrong",
            "new_password1": "Nouveau-2026x",
            "new_password2": "Nouveau-2026x",
        },
    )
    assert "Your current password is incorrect" in response.text
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_email_is_confirmed_at_the_new_address(client, post, organisation, mailoutbox):
    user = guardian_user(organisation)
    old = user.email
    client.force_login(user)
    response = post(
        "/demo/compte/adresse-email/", {"new_email": "New@Example.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == old  # nothing changes before confirmation
    assert mailoutbox[0].to == ["new@example.test"]
    url = link_in(mailoutbox[0])
    client.logout()
    assert client.get(url).status_code == 200
    response = post(url, {})
    assert response["Location"] == "/demo/connexion/"
    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert mailoutbox[-1].to == [old]
    assert (
        client.post(
            "/demo/connexion/", {"email": "new@example.test", "password": PASSWORD}
        ).status_code
        == 302
    )
    client.logout()
    assert client.post(url, {}).status_code == 400  # single use


def test_change_email_link_expires(client, post, organisation, mailoutbox):
    user = guardian_user(organisation)
    client.force_login(user)
    post("/demo/compte/adresse-email/", {"new_email": "new@example.test", "password": PASSWORD})
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert client.get(link_in(mailoutbox[0])).status_code == 400


def test_an_address_already_in_use_is_told_to_its_owner_only(
    client, post, organisation, mailoutbox
):
    user = guardian_user(organisation)
    UserFactory(organisation=organisation, email="taken@example.test")
    client.force_login(user)
    response = post(
        "/demo/compte/adresse-email/", {"new_email": "taken@example.test", "password": PASSWORD}
    )
    assert response.status_code == 302  # same answer as for a free address
    assert mailoutbox[0].to == ["taken@example.test"]
    assert "/compte/adresse-email/" not in mailoutbox[0].body
    user.refresh_from_db()
    assert user.email != "taken@example.test"


def test_an_address_taken_between_request_and_confirmation_is_refused(
    client, post, organisation, mailoutbox
):
    user = guardian_user(organisation)
    client.force_login(user)
    post("/demo/compte/adresse-email/", {"new_email": "new@example.test", "password": PASSWORD})
    UserFactory(organisation=organisation, email="new@example.test")
    response = post(link_in(mailoutbox[0]), {})
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email != "new@example.test"


def test_change_email_needs_the_password(client, organisation, mailoutbox):
    user = guardian_user(organisation)
    client.force_login(user)
    response = client.post(
        "/demo/compte/adresse-email/", {"new_email": "x@example.test", "password": "no"}
    )
    assert response.status_code == 200
    assert mailoutbox == []


def test_the_language_switch_is_remembered_for_pages_and_emails(client, organisation):
    user = guardian_user(organisation)
    client.force_login(user)
    response = client.post("/langue/", {"language": "en", "next": "/demo/compte/"})
    assert response["Location"] == "/demo/compte/"
    assert "My account" in client.get("/demo/compte/").text
    user.refresh_from_db()
    assert user.language == "en"
    response = client.post("/langue/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_account_pages_show_in_the_layout_of_the_users_role(client, organisation):
    client.force_login(guardian_user(organisation))
    assert 'href="/demo/famille/"' in client.get("/demo/compte/").text
    client.force_login(UserFactory(organisation=organisation, role="manager"))
    assert 'href="/demo/gestion/"' in client.get("/demo/compte/").text
    assert User.objects


class TestCurrentPasswordLockout:
    """A wrong current password counts like a failed sign-in (django-axes)."""

    EMAIL_CHANGE = "/demo/compte/adresse-email/"

    def change_email(self, client, password):
        return client.post(
            self.EMAIL_CHANGE, {"new_email": "nouvelle@example.test", "password": password}
        )

    def test_five_wrong_passwords_lock_the_change_and_the_sign_in(
        self, client, organisation, settings, mailoutbox
    ):
        client.cookies["perisco_language"] = "en"
        user = guardian_user(organisation)
        client.force_login(user)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = self.change_email(client, "Wrong-pass-1")
            assert response.status_code == 200
            assert "Your current password is incorrect" in response.text
        response = self.change_email(client, "Wrong-pass-1")
        assert response.status_code == 429
        assert "Too many incorrect passwords: this is suspended for 15 minutes" in response.text

        # Even the right password is refused now, and nothing is sent.
        response = self.change_email(client, PASSWORD)
        assert response.status_code == 429
        assert mailoutbox == []
        user.refresh_from_db()
        assert user.email != "nouvelle@example.test"

        # The same lock holds on the sign-in page, from another browser too.
        other = type(client)()
        response = other.post(
            "/demo/connexion/",
            {"email": user.email, "password": PASSWORD},
            REMOTE_ADDR="10.0.0.9",
        )
        assert response.status_code == 429

    def test_failures_here_and_at_sign_in_add_up(self, client, organisation, settings):
        user = guardian_user(organisation)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post("/demo/connexion/", {"email": user.email, "password": "Wrong-pass-1"})
        client.force_login(user)
        assert self.change_email(client, "Wrong-pass-1").status_code == 429

    def test_the_password_change_form_counts_too(self, client, organisation, settings):
        client.cookies["perisco_language"] = "en"
        user = guardian_user(organisation)
        client.force_login(user)
        data = {"new_password1": "Nouveau-2026x", "new_password2": "Nouveau-2026x"}
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = client.post("/demo/compte/mot-de-passe/", {**data, "old_password": "x"})
        assert response.status_code == 429
        assert "Too many incorrect passwords" in response.text
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
