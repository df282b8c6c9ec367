"""Links in e-mails point to where the site really is."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from perisco.core.urls import org_absolute_url
from perisco.families.tests.factories import guardian_user


def test_without_a_configured_address_links_follow_the_browser(
    client, organisation, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PERISCO_BASE_URL = ""  # make run, served on another host or port
    user = guardian_user(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/demo/mot-de-passe-oublie/", {"email": user.email}, HTTP_HOST="localhost:8123")
    assert re.search(r"http://localhost:8123/demo/mot-de-passe-oublie/\S+/", mailoutbox[0].body)


def test_a_configured_address_wins_over_the_host_header(
    client, organisation, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PERISCO_BASE_URL = "https://portail.example.org"  # always set in production
    user = guardian_user(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/demo/mot-de-passe-oublie/", {"email": user.email}, HTTP_HOST="localhost")
    assert "https://portail.example.org/demo/mot-de-passe-oublie/" in mailoutbox[0].body
    assert "localhost" not in mailoutbox[0].body


def test_outside_a_request_the_address_must_be_configured(organisation, settings):
    settings.PERISCO_BASE_URL = ""
    with pytest.raises(ImproperlyConfigured, match="PERISCO_BASE_URL"):
        org_absolute_url(organisation, "web:login")


def test_a_command_next_to_runserver_links_to_runservers_address(organisation, settings):
    settings.PERISCO_BASE_URL = ""
    settings.DEBUG = True  # local settings
    assert org_absolute_url(organisation, "web:login") == "http://127.0.0.1:8000/demo/connexion/"
