import string

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import hashers
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from perisco.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    OrganisationPolicyValidator,
    PasswordPolicy,
)
from perisco.config.settings import base


def test_argon2id_with_owasp_parameters_is_the_production_hasher(db):
    assert base.PASSWORD_HASHERS[0] == "perisco.accounts.hashers.PeriscoArgon2Hasher"
    encoded = hashers.make_password("Bon-mot-de-passe-42", hasher="argon2")
    # OWASP's minimum for Argon2id: 19 MiB, 2 iterations, 1 lane.
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hashers.check_password("Bon-mot-de-passe-42", encoded)


def test_a_hash_with_djangos_default_parameters_is_upgraded_at_the_next_sign_in(
    client, organisation, settings
):
    from perisco.accounts.tests.factories import UserFactory

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS  # the production list, not the test one
    user = UserFactory(organisation=organisation)
    user.password = hashers.make_password(
        "Bon-mot-de-passe-42", hasher=hashers.Argon2PasswordHasher()
    )
    user.save(update_fields=["password"])
    assert "$m=102400,t=2,p=8$" in user.password

    response = client.post(
        "/demo/connexion/", {"email": user.email, "password": "Bon-mot-de-passe-42"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("Bon-mot-de-passe-42")


def test_the_default_policy_is_the_one_of_seed_001():
    policy = PasswordPolicy()
    assert policy.errors("Abcdefg1") == []
    assert len(policy.errors("Abcdef1")) == 1  # 7 characters
    assert len(policy.errors("abcdefg1")) == 1  # no upper-case
    assert len(policy.errors("ABCDEFG1")) == 1  # no lower-case
    assert len(policy.errors("Abcdefgh")) == 1  # no digit


def test_long_passwords_are_welcome_up_to_far_beyond_128():
    assert PasswordPolicy().errors("Aa1" + "x" * 200) == []
    assert PasswordPolicy().errors("Aa1" + "x" * MAX_PASSWORD_LENGTH) != []


def test_an_organisation_can_ask_for_more(organisation):
    organisation.password_min_length = 12
    organisation.password_require_symbol = True
    policy = PasswordPolicy.for_organisation(organisation)
    assert len(policy.errors("Abcdefgh1234")) == 1  # no symbol
    assert policy.errors("Abcdefgh123!") == []
    assert "At least 12 characters" in policy.rules()[0] or "12" in policy.rules()[0]


def test_the_validator_uses_the_policy_of_the_users_organisation(organisation):
    from perisco.accounts.tests.factories import UserFactory

    organisation.password_min_length = 10
    user = UserFactory.build(organisation=organisation)
    with pytest.raises(ValidationError):
        OrganisationPolicyValidator().validate("Abcdefg12", user)
    OrganisationPolicyValidator().validate("Abcdefgh12", user)


def test_platform_administrators_need_12_characters():
    assert PasswordPolicy.for_organisation(None).min_length == 12


def test_django_common_password_check_is_on():
    names = [v["NAME"] for v in django_settings.AUTH_PASSWORD_VALIDATORS]
    assert "django.contrib.auth.password_validation.CommonPasswordValidator" in names


policies = st.builds(
    PasswordPolicy,
    min_length=st.integers(8, 20),
    require_upper=st.booleans(),
    require_lower=st.booleans(),
    require_digit=st.booleans(),
    require_symbol=st.booleans(),
)


@given(policy=policies, password=st.text(max_size=40))
def test_an_accepted_password_meets_every_rule_of_the_policy(policy, password):
    if policy.errors(password):
        return
    assert len(password) >= policy.min_length
    assert not policy.require_upper or any(c.isupper() for c in password)
    assert not policy.require_lower or any(c.islower() for c in password)
    assert not policy.require_digit or any(c.isdigit() for c in password)
    assert not policy.require_symbol or any(
        not c.isalnum() and c not in string.whitespace for c in password
    )


@given(policy=policies, password=st.text(max_size=40))
def test_each_broken_rule_is_reported_once(policy, password):
    broken = [
        len(password) < policy.min_length,
        policy.require_upper and not any(c.isupper() for c in password),
        policy.require_lower and not any(c.islower() for c in password),
        policy.require_digit and not any(c.isdigit() for c in password),
        policy.require_symbol and all(c.isalnum() or c in string.whitespace for c in password),
    ]
    assert len(policy.errors(password)) == sum(broken)
