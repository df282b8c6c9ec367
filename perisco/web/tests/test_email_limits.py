"""What a stranger can make Périsco e-mail: rate limits per address and per client, and a
password reset that costs the same whether the address has an account or not."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from perisco.accounts.tasks import send_password_reset
from perisco.core.tests.factories import SchoolFactory
from perisco.core.tests.production import production_settings
from perisco.families.tests.factories import guardian_user
from perisco.families.tests.test_registration import GUARDIAN, HOUSEHOLD, children

RESET = "/demo/mot-de-passe-oublie/"
LIMITED = "Too many requests: for your security, no e-mail is sent for now."


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["perisco_language"] = "en"


class TestPasswordResetLimits:
    def test_one_address_gets_three_links_an_hour_then_a_clear_message(
        self, post, organisation, mailoutbox
    ):
        user = guardian_user(organisation)
        for _ in range(3):
            assert post(RESET, {"email": user.email}).status_code == 200
        response = post(RESET, {"email": user.email.upper()})
        assert response.status_code == 429
        assert LIMITED in response.text
        assert int(response["Retry-After"]) <= 3600
        assert len(mailoutbox) == 3
        with time_machine.travel(timezone.now() + timezone.timedelta(hours=1)):
            assert post(RESET, {"email": user.email}).status_code == 200
        assert len(mailoutbox) == 4

    def test_an_unknown_address_is_limited_the_same_way(self, post, organisation, mailoutbox):
        for _ in range(3):
            post(RESET, {"email": "nobody@example.test"})
        response = post(RESET, {"email": "nobody@example.test"})
        assert response.status_code == 429
        assert LIMITED in response.text

    def test_one_client_cannot_spray_many_addresses(self, post, organisation, settings):
        count, _seconds = settings.PERISCO_RATE_LIMITS["password_reset_client"]
        for n in range(count):
            assert post(RESET, {"email": f"someone{n}@example.test"}).status_code == 200
        assert post(RESET, {"email": "one-more@example.test"}).status_code == 429

    def test_the_message_is_in_french_too(self, client, post, organisation):
        client.cookies["perisco_language"] = "fr"
        for _ in range(4):
            response = post(RESET, {"email": "nobody@example.test"})
        assert "Trop de demandes" in response.text


def fill_registration(client, school, *, email):
    assert client.post("/demo/inscription/1/", {**GUARDIAN, "g1-email": email}).status_code == 302
    assert client.post("/demo/inscription/2/", HOUSEHOLD).status_code == 302
    assert client.post("/demo/inscription/3/", children(school)).status_code == 302
    return client.post("/demo/inscription/4/", {"rules_accepted": "on"})


class TestRegistrationLimits:
    @pytest.fixture
    def school(self, organisation):
        return SchoolFactory(organisation=organisation)

    def test_registrations_from_one_client_are_limited(
        self, client, school, mailoutbox, settings, django_capture_on_commit_callbacks
    ):
        count, _seconds = settings.PERISCO_RATE_LIMITS["registration_client"]
        for n in range(count + 1):
            with django_capture_on_commit_callbacks(execute=True):
                response = fill_registration(client, school, email=f"famille{n}@example.test")
        assert response.status_code == 429
        assert LIMITED in response.text
        assert len(mailoutbox) == count

    def test_one_address_is_registered_at_most_three_times_a_day(
        self, client, school, mailoutbox, django_capture_on_commit_callbacks
    ):
        for _ in range(4):
            client.cookies.clear()
            client.cookies["perisco_language"] = "en"
            with django_capture_on_commit_callbacks(execute=True):
                response = fill_registration(client, school, email="same@example.test")
        assert response.status_code == 429
        assert len(mailoutbox) == 3


def test_a_password_reset_does_the_same_work_for_a_known_and_an_unknown_address(
    client, organisation, settings
):
    """With the production task backend, the request only queues the task that looks the
    address up: same queries, same task, whether the account exists or not."""
    settings.TASKS = production_settings("TASKS")["TASKS"]
    user = guardian_user(organisation)
    work = {}
    for case, email in (("known", user.email), ("unknown", "nobody@example.test")):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(RESET, {"email": email})
        assert response.status_code == 200
        work[case] = [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries]
    assert work["known"] == work["unknown"]

    tasks = DBTaskResult.objects.order_by("enqueued_at")
    assert [task.task_path for task in tasks] == [send_password_reset.module_path] * 2
    assert [task.args_kwargs["args"] for task in tasks] == [
        [organisation.pk, user.email],
        [organisation.pk, "nobody@example.test"],
    ]


def test_the_task_sends_a_link_only_to_an_existing_account(
    organisation, mailoutbox, django_capture_on_commit_callbacks
):
    user = guardian_user(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        send_password_reset.call(organisation.pk, "nobody@example.test")
        send_password_reset.call(organisation.pk, user.email)
    assert [message.to for message in mailoutbox] == [[user.email]]


def test_production_counts_in_a_cache_shared_by_every_worker():
    without_redis = production_settings("CACHES")["CACHES"]["default"]
    assert without_redis["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    with_redis = production_settings("CACHES", REDIS_URL="redis://127.0.0.1:6379/1")
    assert with_redis["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
