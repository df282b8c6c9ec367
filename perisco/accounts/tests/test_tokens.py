from datetime import timedelta

import time_machine
from django.utils import timezone

from perisco.accounts.tests.factories import UserFactory
from perisco.accounts.tokens import Purpose, make_token, read_token


def test_a_token_reads_back_its_user_and_data(organisation):
    user = UserFactory(organisation=organisation)
    token = make_token(user, Purpose.EMAIL_CHANGE, e="new@example.test")
    found, payload = read_token(token, Purpose.EMAIL_CHANGE, organisation)
    assert found == user and payload["e"] == "new@example.test"


def test_a_token_is_bound_to_its_purpose_and_organisation(organisation, other_organisation):
    user = UserFactory(organisation=organisation)
    token = make_token(user, Purpose.PASSWORD_RESET)
    assert read_token(token, Purpose.INVITATION, organisation) is None
    assert read_token(token, Purpose.PASSWORD_RESET, other_organisation) is None
    assert read_token(token[:-2] + "xx", Purpose.PASSWORD_RESET, organisation) is None


def test_a_token_dies_when_the_password_changes(organisation):
    user = UserFactory(organisation=organisation)
    token = make_token(user, Purpose.PASSWORD_RESET)
    user.set_password("Autre-mot-2026")
    user.save()
    assert read_token(token, Purpose.PASSWORD_RESET, organisation) is None


def test_a_token_dies_when_the_account_is_deactivated(organisation):
    user = UserFactory(organisation=organisation)
    token = make_token(user, Purpose.INVITATION)
    user.is_active = False
    user.save()
    assert read_token(token, Purpose.INVITATION, organisation) is None


def test_each_purpose_has_its_lifetime(organisation):
    user = UserFactory(organisation=organisation)
    tokens = {purpose: make_token(user, purpose) for purpose in Purpose}
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert all(read_token(t, p, organisation) for p, t in tokens.items())
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert (
            read_token(tokens[Purpose.PASSWORD_RESET], Purpose.PASSWORD_RESET, organisation) is None
        )
        assert read_token(tokens[Purpose.EMAIL_CHANGE], Purpose.EMAIL_CHANGE, organisation)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert read_token(tokens[Purpose.INVITATION], Purpose.INVITATION, organisation)
        assert read_token(tokens[Purpose.EMAIL_CHANGE], Purpose.EMAIL_CHANGE, organisation) is None
