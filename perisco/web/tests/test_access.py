"""Every page of an organisation's site, walked from the URL configuration: tenant
isolation, roles, and that no page forgot to say who may open it."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from perisco.accounts.permissions import PLATFORM_PERMISSIONS, has_permission
from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.families.tests.factories import guardian_user
from perisco.web.access import PUBLIC

SAMPLE_KWARGS = {
    "pk": 1,
    "child_pk": 1,
    "token": "not-a-token",
    "uuid": "5b0e8f3e-7d0c-4c55-9a53-9f3a3c1f2a11",
    "kind": "health",
    "step": 1,
    "activity_pk": 1,
    "day": "2026-11-30",
    "unit_pk": 1,
    "period_pk": 1,
    "family_pk": 1,
    "reference": "not-a-reference",
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield route, f"{namespace}{entry.name}", entry.callback


def organisation_pages():
    return [
        (name, callback)
        for route, name, callback in _walk(get_resolver().url_patterns)
        if "<slug:org_slug>" in route
    ]


def _url(name, slug, callback=None):
    names = set(re.findall(r"<\w+:(\w+)>", _route(name))) - {"org_slug"}
    kwargs = {k: SAMPLE_KWARGS[k] for k in names}
    if name in ("portal:family_request", "backoffice:family_edit"):
        kwargs["kind"] = "guardian"
    return reverse(name, kwargs={"org_slug": slug, **kwargs})


def _route(name):
    return next(route for route, n, _ in _walk(get_resolver().url_patterns) if n == name)


def _signed_in(client, organisation, role):
    user = (
        guardian_user(organisation)
        if role == Role.GUARDIAN
        else UserFactory(organisation=organisation, role=role)
    )
    sign_in(client, user)
    return user


PAGES = organisation_pages()
PAGE_IDS = [name for name, _ in PAGES]


def test_the_walk_finds_the_pages():
    names = set(PAGE_IDS)
    assert {"web:login", "portal:home", "backoffice:staff", "web:two_factor"} <= names


@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_every_page_says_who_may_open_it(name, callback):
    assert hasattr(callback, "required_permission"), f"{name} has no access rule"


@pytest.mark.parametrize("role", [Role.GUARDIAN, Role.MANAGER, Role.ORG_ADMIN, Role.AGENT])
@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_a_user_of_another_organisation_gets_404_on_every_page(
    client, organisation, other_organisation, role, name, callback
):
    if role == Role.GUARDIAN:
        user = guardian_user(other_organisation)
    else:
        user = UserFactory(organisation=other_organisation, role=role)
    sign_in(client, user)
    url = _url(name, organisation.slug)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_an_unknown_organisation_is_404(client, db, name, callback):
    assert client.get(_url(name, "nowhere")).status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r != Role.PLATFORM_ADMIN])
@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_roles_open_exactly_the_pages_their_permissions_name(
    client, organisation, role, name, callback
):
    permission = callback.required_permission
    if permission in (None, PUBLIC):
        return  # every signed-in user's own account pages, and public pages
    user = _signed_in(client, organisation, role)
    url = _url(name, organisation.slug)
    status = client.get(url).status_code
    if status == 405:  # an action: POST only
        status = client.post(url).status_code
    if has_permission(user, permission):
        assert status not in (403,), f"{role} refused on {name}"
    else:
        assert status == 403, f"{role} got {status} on {name}"


@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_anonymous_visitors_are_sent_to_sign_in_on_protected_pages(
    client, organisation, name, callback
):
    if callback.required_permission == PUBLIC:
        return
    response = client.get(_url(name, organisation.slug))
    if response.status_code == 405:
        return  # POST-only actions
    assert response.status_code == 302
    assert response["Location"].startswith(f"/{organisation.slug}/connexion/?next=")


@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_organisation_pages_do_not_exist_on_the_platform_site(client, db, name, callback):
    permission = callback.required_permission
    if permission in (None, PUBLIC) or permission in PLATFORM_PERMISSIONS:
        return
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    sign_in(client, admin)
    assert client.get(_url(name, "plateforme")).status_code in (404, 405)


def test_the_platform_pages_are_404_for_organisation_users(client, organisation):
    sign_in(client, UserFactory(organisation=organisation, role=Role.ORG_ADMIN))
    assert client.get(reverse("hosting:organisations")).status_code == 404


def _opens_before_account_setup(callback) -> bool:
    return getattr(callback, "open_before_account_setup", False)


def _status_and_location(client, url):
    response = client.get(url)
    if response.status_code == 405:  # an action: POST only
        response = client.post(url)
    return response.status_code, response.get("Location", "")


def test_only_the_set_up_pages_and_signing_out_open_before_account_set_up():
    names = {name for name, callback in PAGES if _opens_before_account_setup(callback)}
    assert names == {"web:two_factor", "web:password_change", "web:logout"}


@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_staff_who_must_set_up_two_factor_are_sent_there_from_every_page(
    client, organisation, name, callback
):
    """Documents by their address included: a pending second factor guards every page."""
    if _opens_before_account_setup(callback):
        return
    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    sign_in(client, admin, verified=False)
    status, location = _status_and_location(client, _url(name, organisation.slug))
    assert (status, location) == (302, "/demo/compte/double-authentification/"), name


@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_users_who_must_change_their_password_are_sent_there_from_every_page(
    client, organisation, name, callback
):
    if _opens_before_account_setup(callback):
        return
    parent = guardian_user(organisation)
    parent.must_change_password = True
    parent.save(update_fields=["must_change_password"])
    sign_in(client, parent)
    status, location = _status_and_location(client, _url(name, organisation.slug))
    assert (status, location) == (302, "/demo/compte/mot-de-passe/"), name


def test_a_document_is_not_served_before_the_second_factor_is_set_up(client, organisation):
    from perisco.families.models import Guardian
    from perisco.families.services import document_upload
    from perisco.families.tests.conftest import pdf_upload

    family = Guardian.objects.get(user=guardian_user(organisation)).family
    document = document_upload(
        actor=None, organisation=organisation, upload=pdf_upload(), kind="other", family=family
    )
    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    sign_in(client, admin, verified=False)
    response = client.get(f"/demo/documents/{document.uuid}/")
    assert response.status_code == 302
    assert response["Location"] == "/demo/compte/double-authentification/"
    sign_in(client, admin)
    assert client.get(f"/demo/documents/{document.uuid}/").status_code == 200


@pytest.mark.parametrize("role", [Role.GUARDIAN, Role.ORG_ADMIN])
@pytest.mark.parametrize(("name", "callback"), PAGES, ids=PAGE_IDS)
def test_no_answer_to_a_signed_in_user_may_be_cached(client, organisation, role, name, callback):
    if name == "web:logout":
        return  # answered once signed out: a redirect to the login page
    _signed_in(client, organisation, role)
    url = _url(name, organisation.slug)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (name, response.get("Cache-Control"))


def test_a_closed_organisation_is_404_to_its_own_signed_in_users(client, organisation):
    sign_in(client, guardian_user(organisation))
    home = reverse("portal:home", kwargs={"org_slug": organisation.slug})
    assert client.get(home).status_code == 200
    organisation.is_active = False
    organisation.save(update_fields=["is_active"])
    assert client.get(home).status_code == 404


def test_a_guardians_page_reads_the_organisation_and_family_with_the_user(client, organisation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, guardian_user(organisation))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal:home", kwargs={"org_slug": organisation.slug}))
    assert response.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries]
    user_reads = [sql for sql in reads if 'FROM "accounts_user"' in sql]
    assert len(user_reads) == 1 and '"families_family"' in user_reads[0]
    # No query of its own for the site's organisation, nor for the guardian's family.
    assert not [
        sql
        for sql in reads
        if 'FROM "core_organisation"' in sql
        or re.search(r'WHERE .*"families_guardian"\."user_id" = ', sql)
    ], reads
