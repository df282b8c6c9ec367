"""Behind nginx (docs/deploy.md) every request reaches gunicorn from 127.0.0.1; the client
is in X-Forwarded-For. Tested with the production settings' values."""

import logging

import pytest
from django.test import RequestFactory

from perisco.accounts.tests.factories import PASSWORD, UserFactory
from perisco.core.http import client_ip
from perisco.core.tests.production import production_settings

LOGIN = "/demo/connexion/"
PROXY = "127.0.0.1"
ATTACKER = "203.0.113.5"
FAMILY = "198.51.100.7"


@pytest.fixture(scope="module")
def production():
    return production_settings(
        "PERISCO_PROXY_COUNT",
        "AXES_CLIENT_IP_CALLABLE",
        "AXES_LOCKOUT_PARAMETERS",
        "AXES_FAILURE_LIMIT",
    )


@pytest.fixture
def behind_nginx(settings, production):
    for name, value in production.items():
        setattr(settings, name, value)
    return production


def through_nginx(client, address, data, forwarded=""):
    """What nginx's `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for` sends:
    whatever the client wrote, then the address the client really connects from."""
    chain = f"{forwarded}, {address}" if forwarded else address
    return client.post(LOGIN, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


def test_production_expects_one_proxy_and_locks_by_login_and_address(production):
    assert production["PERISCO_PROXY_COUNT"] == 1
    assert production["AXES_CLIENT_IP_CALLABLE"] == "perisco.core.http.client_ip"
    assert production["AXES_LOCKOUT_PARAMETERS"] == ["username", "ip_address"]


def test_guessing_from_one_address_does_not_lock_out_the_other_families(
    client, organisation, behind_nginx
):
    family = UserFactory(organisation=organisation)
    for attempt in range(behind_nginx["AXES_FAILURE_LIMIT"]):
        response = through_nginx(
            client, ATTACKER, {"email": f"made-up-{attempt}@example.test", "password": "Nope-1"}
        )
    assert response.status_code == 429  # the guessing address is locked…

    client.cookies.clear()
    response = through_nginx(client, FAMILY, {"email": family.email, "password": PASSWORD})
    assert response.status_code == 302  # …not every family behind the same proxy

    # Writing another address in front of X-Forwarded-For does not unlock the attacker.
    client.cookies.clear()
    response = through_nginx(
        client, ATTACKER, {"email": "other@example.test", "password": "Nope-1"}, "192.0.2.44"
    )
    assert response.status_code == 429


def test_the_request_log_names_the_client_not_the_proxy(client, organisation, behind_nginx, caplog):
    with caplog.at_level(logging.INFO, logger="perisco.request"):
        client.get("/demo/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.44, {FAMILY}")
    assert [record.client_ip for record in caplog.records] == [FAMILY]


def test_without_a_proxy_x_forwarded_for_is_not_believed(settings):
    settings.PERISCO_PROXY_COUNT = 0  # make run: browsers connect directly
    request = RequestFactory().get("/", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=FAMILY)
    assert client_ip(request) == ATTACKER


def test_two_proxies_take_the_second_address_from_the_right(settings):
    settings.PERISCO_PROXY_COUNT = 2  # e.g. a load balancer, then nginx
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.44, {FAMILY}, 10.0.0.2"
    )
    assert client_ip(request) == FAMILY
