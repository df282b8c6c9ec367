"""The platform root, health check, error pages and request logging."""

import json
import logging
from unittest import mock

from django.db.utils import OperationalError

from perisco.accounts.tests.factories import UserFactory


def test_the_root_names_organisations_and_nothing_private(client, organisation):
    UserFactory(organisation=organisation, email="secret.person@example.test")
    response = client.get("/")
    assert response.status_code == 200
    assert organisation.name in response.text
    assert "secret.person" not in response.text


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with mock.patch("perisco.web.views.public.connection.cursor", side_effect=OperationalError):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_the_404_page_speaks_the_visitors_language(client, db):
    response = client.get("/nowhere/at/all/")
    assert response.status_code == 404
    assert "Page introuvable" in response.text
    client.cookies["perisco_language"] = "en"
    assert "Page not found" in client.get("/nowhere/at/all/").text


def test_the_403_page_explains_in_plain_words(client, organisation):
    client.force_login(UserFactory(organisation=organisation, role="agent"))
    response = client.get("/demo/gestion/personnel/")
    assert response.status_code == 403
    assert "Accès refusé" in response.text


def test_the_500_page_renders_without_a_request_context(client, db, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Un problème est survenu" in html


def test_server_errors_show_the_500_page(client, organisation):
    client.raise_request_exception = False
    with mock.patch("perisco.web.views.public.render", side_effect=RuntimeError("boom")):
        response = client.get("/demo/")
    assert response.status_code == 500
    assert "Un problème est survenu" in response.text


def test_each_request_is_logged_with_an_id_returned_in_a_header(client, db, caplog):
    caplog.set_level(logging.INFO, logger="perisco.request")
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-Id"] == "abc123"
    record = next(r for r in caplog.records if r.name == "perisco.request")
    assert (record.path, record.status, record.request_id) == ("/healthz", 200, "abc123")


def test_the_json_log_format_carries_the_request_fields(db):
    from pythonjsonlogger.json import JsonFormatter

    from perisco.core.logging import RequestContextFilter

    record = logging.LogRecord("perisco.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.status = 200
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter("%(levelname)s %(message)s %(request_id)s").format(record))
    assert line["status"] == 200 and line["request_id"] == "-" and line["message"] == "GET / 200"


def test_security_headers_are_sent(client, db):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
