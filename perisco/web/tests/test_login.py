from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import PASSWORD, UserFactory
from perisco.families.tests.factories import guardian_user

LOGIN = "/demo/connexion/"
WRONG = "E-mail address or password incorrect"


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["perisco_language"] = "en"


def post_login(client, email, password=PASSWORD, url=LOGIN, **extra):
    return client.post(url, {"email": email, "password": password, **extra})


def test_the_login_page_is_linked_from_the_organisation_home(client, organisation):
    response = client.get("/demo/")
    assert response.status_code == 200
    assert 'href="/demo/connexion/"' in response.text
    assert organisation.name in response.text


def test_a_guardian_signs_in_and_lands_on_the_family_home(client, organisation):
    user = guardian_user(organisation)
    response = post_login(client, user.email.upper())  # e-mail compared case-insensitively
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home", kwargs={"org_slug": "demo"})
    assert client.get(response["Location"]).status_code == 200


def test_a_manager_signs_in_and_lands_on_the_staff_dashboard(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.MANAGER)
    response = post_login(client, user.email)
    assert response["Location"] == "/demo/gestion/"


@pytest.mark.parametrize("email", ["known", "unknown@example.test"])
def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, organisation, email):
    user = UserFactory(organisation=organisation)
    response = post_login(client, user.email if email == "known" else email, "Wrong-pass-1")
    assert response.status_code == 200
    assert WRONG in response.text
    assert "_auth_user_id" not in client.session


def test_the_login_page_speaks_english_when_asked(client, organisation):
    client.cookies["perisco_language"] = "en"
    response = post_login(client, "nobody@example.test", "Wrong-pass-1")
    assert WRONG in response.text
    client.cookies["perisco_language"] = "fr"
    response = post_login(client, "nobody@example.test", "Wrong-pass-1")
    assert "Adresse e-mail ou mot de passe incorrect" in response.text


def test_a_deactivated_account_cannot_sign_in(client, organisation):
    user = UserFactory(organisation=organisation, is_active=False)
    assert WRONG in post_login(client, user.email).text


def test_credentials_of_one_organisation_do_not_open_another(
    client, organisation, other_organisation
):
    user = UserFactory(organisation=other_organisation)
    assert WRONG in post_login(client, user.email).text


def test_the_same_email_can_have_an_account_in_two_organisations(
    client, organisation, other_organisation
):
    mine = UserFactory(organisation=organisation, email="same@example.test")
    UserFactory(organisation=other_organisation, email="same@example.test", password="Autre-42xx")
    post_login(client, "same@example.test")
    assert client.session["_auth_user_id"] == str(mine.pk)


def test_next_is_followed_only_within_the_site(client, organisation):
    user = UserFactory(organisation=organisation)
    response = post_login(client, user.email, next="https://evil.example/steal")
    assert response["Location"] == "/demo/gestion/"
    client.logout()
    response = post_login(client, user.email, next="/demo/compte/")
    assert response["Location"] == "/demo/compte/"


def test_logout_needs_a_post_and_ends_the_session(client, organisation):
    user = UserFactory(organisation=organisation)
    client.force_login(user)
    assert client.get("/demo/deconnexion/").status_code == 405
    response = client.post("/demo/deconnexion/")
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_on_another_organisations_login_page_gets_404(
    client, organisation, other_organisation
):
    client.force_login(UserFactory(organisation=other_organisation))
    assert client.get(LOGIN).status_code == 404


class TestLockout:
    def fail(self, client, email, times):
        for _ in range(times):
            response = post_login(client, email, "Wrong-pass-1")
        return response

    @pytest.mark.parametrize("known", [True, False])
    def test_five_failures_lock_the_login_without_saying_whether_it_exists(
        self, client, organisation, known
    ):
        user = UserFactory(organisation=organisation)
        email = user.email if known else "ghost@example.test"
        response = self.fail(client, email, 5)
        assert response.status_code == 429
        assert "suspended for 15 minutes" in response.text
        assert WRONG not in response.text
        # Even the right password is refused while locked.
        response = post_login(client, user.email if known else email)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_four_failures_do_not_lock(self, client, organisation):
        user = UserFactory(organisation=organisation)
        self.fail(client, user.email, 4)
        assert post_login(client, user.email).status_code == 302

    def test_the_lock_lifts_after_the_cool_off(self, client, organisation):
        user = UserFactory(organisation=organisation)
        self.fail(client, user.email, 5)
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            assert post_login(client, user.email).status_code == 302

    def test_a_password_reset_lifts_the_lock(self, client, organisation, mailoutbox):
        from perisco.accounts.services import password_reset_complete

        user = UserFactory(organisation=organisation)
        self.fail(client, user.email, 5)
        password_reset_complete(user=user, password="Tout-neuf-2026")
        client.cookies.clear()
        response = client.post(
            LOGIN, {"email": user.email, "password": "Tout-neuf-2026"}, REMOTE_ADDR="10.0.0.9"
        )
        assert response.status_code == 302


class TestTwoFactor:
    def device(self, user):
        return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    def code(self, device, offset=0):
        return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset):06d}"

    def test_an_account_with_a_device_needs_its_code(self, client, organisation):
        user = UserFactory(organisation=organisation, role=Role.MANAGER)
        device = self.device(user)
        response = post_login(client, user.email)
        assert response["Location"] == "/demo/connexion/verification/"
        assert "_auth_user_id" not in client.session
        response = client.post(response["Location"], {"token": "000000"})
        assert "This code is not valid" in response.text
        device.refresh_from_db()
        with time_machine.travel(timezone.now() + timedelta(seconds=5)):
            response = client.post("/demo/connexion/verification/", {"token": self.code(device)})
        assert response["Location"] == "/demo/gestion/"
        assert client.session["_auth_user_id"] == str(user.pk)
        assert client.get("/demo/gestion/").status_code == 200

    def test_the_code_step_expires(self, client, organisation):
        user = UserFactory(organisation=organisation, role=Role.MANAGER)
        device = self.device(user)
        post_login(client, user.email)
        with time_machine.travel(timezone.now() + timedelta(minutes=6)):
            response = client.post("/demo/connexion/verification/", {"token": self.code(device)})
        assert response["Location"] == LOGIN
        assert "_auth_user_id" not in client.session

    def test_the_verification_page_without_a_password_step_sends_back(self, client, organisation):
        assert client.get("/demo/connexion/verification/")["Location"] == LOGIN

    def test_the_verification_page_of_another_organisation_is_a_clear_400(
        self, client, organisation, other_organisation
    ):
        user = UserFactory(organisation=organisation, role=Role.MANAGER)
        self.device(user)
        post_login(client, user.email)
        response = client.get("/val/connexion/verification/")
        assert response.status_code == 400
        assert "This sign-in was started on another organisation" in response.text
        # The sign-in in progress on its own site is not lost.
        assert client.get("/demo/connexion/verification/").status_code == 200

    def test_an_org_admin_without_a_device_must_set_one_up_first(self, client, organisation):
        admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
        response = post_login(client, admin.email)
        response = client.get(response["Location"])
        assert response["Location"] == "/demo/compte/double-authentification/"
        page = client.get("/demo/compte/double-authentification/")
        assert page.status_code == 200
        assert "data:image/svg+xml" in page.text
        device = TOTPDevice.objects.get(user=admin, confirmed=False)
        response = client.post(
            "/demo/compte/double-authentification/", {"token": self.code(device)}
        )
        assert response.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        assert client.get("/demo/gestion/personnel/").status_code == 200

    def test_an_org_admin_cannot_turn_it_off(self, client, organisation):
        from perisco.conftest import sign_in

        admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
        sign_in(client, admin)
        device = TOTPDevice.objects.get(user=admin)
        with time_machine.travel(timezone.now() + timedelta(seconds=31)):
            response = client.post(
                "/demo/compte/double-authentification/",
                {"password": PASSWORD, "token": self.code(device)},
            )
        assert "cannot be turned off" in response.text
        assert TOTPDevice.objects.filter(user=admin).exists()

    def test_a_manager_can_turn_it_off_with_password_and_code(
        self, client, organisation, mailoutbox, django_capture_on_commit_callbacks
    ):
        user = UserFactory(organisation=organisation, role=Role.MANAGER)
        device = self.device(user)
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/demo/compte/double-authentification/",
                {"password": PASSWORD, "token": self.code(device)},
            )
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=user).exists()
        # E-mails speak the language of the account, not of the browser.
        assert mailoutbox[-1].subject == "Double authentification désactivée"

    def test_staff_2fa_setting_applies_to_every_staff_member(self, client, organisation):
        organisation.staff_2fa_required = True
        organisation.save()
        user = UserFactory(organisation=organisation, role=Role.FINANCE)
        client.force_login(user)
        response = client.get("/demo/gestion/")
        assert response["Location"] == "/demo/compte/double-authentification/"


def test_a_forced_password_change_comes_before_anything_else(client, organisation):
    user = UserFactory(organisation=organisation, must_change_password=True)
    client.force_login(user)
    assert client.get("/demo/gestion/")["Location"] == "/demo/compte/mot-de-passe/"
    response = client.post(
        "/demo/compte/mot-de-passe/",
        {
            "old_password": PASSWORD,
            "new_password1": "Nouveau-2026x",
            "new_password2": "Nouveau-2026x",
        },
    )
    assert response.status_code == 302
    assert client.get("/demo/gestion/").status_code == 200


def test_the_platform_login_accepts_only_platform_administrators(client, organisation):
    staff = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, email="ops@example.test")
    assert WRONG in post_login(client, staff.email, url="/plateforme/connexion/").text
    response = post_login(client, admin.email, url="/plateforme/connexion/")
    assert response["Location"] == "/plateforme/organisations/"
    # Platform admins need a second factor before anything else.
    assert (
        client.get("/plateforme/organisations/")["Location"]
        == "/plateforme/compte/double-authentification/"
    )
