"""The main menu: grouped for staff, one "Menu" button on a phone (a <details> disclosure,
so it opens without JavaScript), only pages that exist and that the user may open."""

import re

import pytest
from django.urls import resolve

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.backoffice.navigation import STAFF_MENU
from perisco.conftest import sign_in
from perisco.families.tests.factories import guardian_user


def _phone_menu(html: str) -> str:
    match = re.search(r'<details class="menu-phone">(.*?)</details>', html, re.S)
    assert match, "no menu button"
    return match.group(1)


def _wide_menu(html: str) -> str:
    match = re.search(r'<nav class="main-nav"[^>]*>(.*?)</nav>', html, re.S)
    assert match, "no wide menu"
    return match.group(1)


def _links(fragment: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', fragment)


@pytest.fixture
def en(client):
    client.cookies["perisco_language"] = "en"
    return client


def test_staff_menu_groups_the_pages_by_what_staff_do(en, organisation):
    sign_in(en, UserFactory(organisation=organisation, role=Role.ORG_ADMIN))
    html = en.get("/demo/gestion/familles/").text
    wide = _wide_menu(html)
    groups = re.search(r"<ul>(.*?)</ul>", wide, re.S).group(1)
    assert [label for _url, label in _links(groups)] == [
        "Dashboard",
        "Families",
        "Childcare",
        "Billing",
        "Messages",
        "Settings",
    ]
    assert 'aria-current="true">Families</a>' in groups
    # The current group's pages in a second row; the other groups' pages are not repeated.
    pages = re.search(r'<ul class="main-nav__pages"[^>]*>(.*?)</ul>', wide, re.S).group(1)
    assert [label for _url, label in _links(pages)] == [
        "Families",
        "Requests",
        "Family accounts",
        "Published documents",
    ]
    assert 'href="/demo/gestion/familles/" aria-current="page"' in pages


def test_a_family_page_keeps_its_group_highlighted(en, organisation):
    from perisco.families.tests.factories import FamilyFactory

    sign_in(en, UserFactory(organisation=organisation, role=Role.MANAGER))
    family = FamilyFactory(organisation=organisation)
    wide = _wide_menu(en.get(f"/demo/gestion/familles/{family.pk}/").text)
    assert 'aria-current="true">Families</a>' in wide


def test_the_phone_menu_is_a_disclosure_with_every_entry_and_the_account_links(en, organisation):
    sign_in(en, UserFactory(organisation=organisation, role=Role.ORG_ADMIN))
    html = en.get("/demo/gestion/").text
    menu = _phone_menu(html)
    assert re.search(r'<summary class="menu-phone__button">.*Menu</summary>', menu, re.S)
    assert "<script" not in menu  # works without JavaScript
    labels = [label for _url, label in _links(menu)]
    for expected in ("Dashboard", "Families", "Children", "Enrollments", "Activity log"):
        assert expected in labels
    assert "My account" in menu and "Sign out" in menu
    assert 'id="menu-group-2">Families</span>' in menu


def test_an_agent_sees_only_the_children_list_attendance_and_kitchen_counts(en, organisation):
    sign_in(en, UserFactory(organisation=organisation, role=Role.AGENT))
    html = en.get("/demo/gestion/enfants/").text
    pages = ["Children", "Attendance", "Kitchen counts"]
    assert [label for _url, label in _links(_wide_menu(html))] == ["Childcare", *pages]
    assert [label for _url, label in _links(_phone_menu(html))] == pages


@pytest.mark.parametrize("role", [Role.AGENT, Role.FINANCE, Role.MANAGER, Role.ORG_ADMIN])
def test_every_staff_menu_entry_is_a_page_the_role_may_open(en, organisation, role):
    sign_in(en, UserFactory(organisation=organisation, role=role))
    start = "/demo/gestion/enfants/" if role == Role.AGENT else "/demo/gestion/"
    menu = _phone_menu(en.get(start).text)
    for url, label in _links(menu):
        if url.startswith("/demo/gestion/"):
            assert en.get(url).status_code == 200, f"{role}: {label} ({url})"


def test_the_staff_menu_names_only_pages_that_exist():
    for group in STAFF_MENU:
        for item in group.items:
            for name in (item.url_name, *item.also):
                path = resolve_name(name)
                assert resolve(path).view_name == name


def resolve_name(name: str) -> str:
    from django.urls import NoReverseMatch, reverse

    for kwargs in ({}, {"pk": 1}, {"pk": 1, "kind": "x"}, {"pk": 1, "child_pk": 1}):
        try:
            return reverse(name, kwargs={"org_slug": "demo", **kwargs})
        except NoReverseMatch:
            continue
    for kwargs in (
        {"activity_pk": 1, "kind": "x"},
        {"activity_pk": 1, "kind": "x", "pk": 1},
        {"kind": "x"},
        {"pk": 1, "child_pk": 1, "kind": "x"},
        {"pk": 1, "day": "2026-11-30"},
        {"unit_pk": 1, "day": "2026-11-30"},
        {"period_pk": 1},
        {"activity_pk": 1},
        {"activity_pk": 1, "unit_pk": 1},
        {"activity_pk": 1, "unit_pk": 1, "pk": 1},
        {"family_pk": 1},
    ):
        try:
            return reverse(name, kwargs={"org_slug": "demo", **kwargs})
        except NoReverseMatch:
            continue
    raise AssertionError(f"{name} is not a page")


def test_the_family_menu_opens_from_one_button_on_a_phone(en, organisation):
    en.force_login(guardian_user(organisation))
    html = en.get("/demo/famille/").text
    labels = [label for _url, label in _links(_phone_menu(html))]
    assert labels == [
        "Home",
        "My family",
        "My children",
        "Calendar",
        "Enrollments",
        "Invoices",
        "Messages",
        "My requests",
        "Documents",
    ]
    assert "My account" in _phone_menu(html)
    assert 'href="/demo/famille/" aria-current="page">Home</a>' in _wide_menu(html)


def test_public_pages_have_no_menu_button(en, organisation):
    html = en.get("/demo/connexion/").text
    assert "menu-phone" not in html
