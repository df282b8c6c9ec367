import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from perisco.accounts import services
from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry


@pytest.fixture
def admin(organisation):
    return UserFactory(organisation=organisation, role=Role.ORG_ADMIN)


def test_a_role_change_is_audited_with_before_and_after(admin, organisation):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    services.user_role_change(actor=admin, user=agent, role=Role.MANAGER)
    agent.refresh_from_db()
    assert agent.role == Role.MANAGER
    entry = AuditEntry.objects.get(action="user.role_changed")
    assert (entry.actor, entry.data) == (admin, {"before": "agent", "after": "manager"})


def test_the_last_administrator_keeps_the_role(admin):
    with pytest.raises(DomainError):
        services.user_role_change(actor=admin, user=admin, role=Role.MANAGER)
    admin.refresh_from_db()
    assert admin.role == Role.ORG_ADMIN


def test_a_guardian_cannot_be_made_staff_here(admin, organisation):
    guardian = UserFactory(organisation=organisation, role=Role.GUARDIAN)
    with pytest.raises(DomainError):
        services.user_role_change(actor=admin, user=guardian, role=Role.MANAGER)


def test_nobody_deactivates_themselves_or_the_last_administrator(admin, organisation):
    with pytest.raises(DomainError):
        services.user_set_active(actor=admin, user=admin, active=False)
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    services.user_set_active(actor=admin, user=other_admin, active=False)
    other_admin.refresh_from_db()
    assert not other_admin.is_active


def test_a_deactivated_user_loses_their_session(admin, organisation, client):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    client.force_login(agent)
    services.user_set_active(actor=admin, user=agent, active=False)
    assert client.get("/demo/gestion/").status_code == 302


def test_an_administrator_resets_a_lost_device(
    admin, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.two_factor_reset(actor=admin, user=agent)
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert mailoutbox[0].to == [agent.email]
    with pytest.raises(DomainError):
        services.two_factor_reset(actor=admin, user=agent)  # nothing left to reset


def test_changes_are_written_atomically_with_their_email(organisation, mailoutbox):
    """If sending cannot even be queued, the password is not changed either."""
    from unittest import mock

    user = UserFactory(organisation=organisation)
    with (
        mock.patch("perisco.accounts.services.email_send", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        services.password_change(user=user, password="Nouveau-2026x")
    user.refresh_from_db()
    assert not user.check_password("Nouveau-2026x")
    assert not AuditEntry.objects.filter(action="user.password_changed").exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_demoting_each_other_at_once_leave_one_administrator():
    import threading

    from django.db import connection

    from perisco.accounts.models import User
    from perisco.core.tests.factories import OrganisationFactory

    organisation = OrganisationFactory()
    first, second = (UserFactory(organisation=organisation, role=Role.ORG_ADMIN) for _ in "ab")
    barrier, outcomes = threading.Barrier(2), []

    def demote(actor, target):
        try:
            barrier.wait(timeout=5)
            services.user_role_change(actor=actor, user=target, role=Role.MANAGER)
            outcomes.append("done")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    admins = User.all_objects.filter(organisation=organisation, role=Role.ORG_ADMIN)
    assert admins.count() == 1
