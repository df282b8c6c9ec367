"""Staff pages of the family file: list and search, detail, direct edits, the requests
queue, kinds accepted at once, published documents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.families.models import (
    ChangeRequest,
    Document,
    Family,
    Guardian,
    RequestKind,
    RequestKindSetting,
    RequestStatus,
)
from perisco.families.requests import file_edit, request_submit
from perisco.families.tests.conftest import pdf_upload
from perisco.families.tests.factories import (
    ChildFactory,
    FamilyFactory,
    GuardianFactory,
    guardian_user,
)


@pytest.fixture
def manager(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.MANAGER, first_name="Claire")
    sign_in(client, user)
    return user


@pytest.fixture
def family(organisation):
    parent = guardian_user(organisation, first_name="Jeanne", last_name="Martin")
    return Guardian.objects.get(user=parent).family


def test_families_are_found_by_name_number_child_or_email(client, manager, organisation):
    family = FamilyFactory(organisation=organisation, name="MARTIN", number="000042")
    GuardianFactory(family=family, email="lea@example.test")
    ChildFactory(organisation=organisation, first_name="Zoé", families=[family])
    FamilyFactory(organisation=organisation, name="DURAND")
    for query in ("martin", "000042", "zoé", "lea@example"):
        page = client.get("/demo/gestion/familles/", {"q": query}).context["page"]
        assert [f.pk for f in page] == [family.pk], query


@pytest.mark.parametrize("families", [3, 30])
def test_the_families_list_needs_the_same_queries_whatever_its_length(
    client, manager, organisation, families
):
    for _ in range(families):
        family = FamilyFactory(organisation=organisation)
        GuardianFactory(family=family)
        ChildFactory(organisation=organisation, families=[family])
    with CaptureQueriesContext(connection) as queries:
        client.get("/demo/gestion/familles/")
    assert len(queries) <= 10


@pytest.mark.parametrize("children", [1, 6])
def test_the_family_page_needs_the_same_queries_whatever_the_number_of_children(
    client, manager, organisation, family, children
):
    for _ in range(children):
        child = ChildFactory(organisation=organisation, families=[family])
        file_edit(
            actor=manager,
            family=family,
            kind=RequestKind.COMPLEMENTARY,
            values={"glasses": True},
            child=child,
        )
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/demo/gestion/familles/{family.pk}/").status_code == 200
    assert len(queries) <= 30, len(queries)


def test_a_direct_edit_is_applied_and_shown_in_the_history(client, manager, family):
    form = client.get(f"/demo/gestion/familles/{family.pk}/modifier/guardian/")
    data = {k: v for k, v in form.context["form"].initial.items() if v not in (None, False)}
    data["city"] = "Pau"
    response = client.post(f"/demo/gestion/familles/{family.pk}/modifier/guardian/", data)
    assert response.status_code == 302
    assert family.guardians.get(rank=1).city == "Pau"
    page = client.get(f"/demo/gestion/familles/{family.pk}/")
    line = page.context["history"][0]
    assert line.who == manager.get_full_name()
    assert ("Ville", "—", "Pau") in line.changes


def test_staff_add_a_child_directly(client, manager, family):
    response = client.post(
        f"/demo/gestion/familles/{family.pk}/modifier/new_child/",
        {"first_name": "Lou", "last_name": "Martin", "birth_date": "2021-04-01", "sex": "F"},
    )
    assert response.status_code == 302
    assert family.children.get().first_name == "Lou"


def test_staff_open_a_family_file(client, manager, organisation):
    response = client.post(
        "/demo/gestion/familles/nouvelle/",
        {"first_name": "Paul", "last_name": "Durand", "email": "paul@example.test"},
    )
    family = Family.objects.get(name="DURAND")
    assert response["Location"] == f"/demo/gestion/familles/{family.pk}/"
    assert family.guardians.get().email == "paul@example.test"


def test_finance_reads_files_but_cannot_edit(client, organisation, family):
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    assert client.get(f"/demo/gestion/familles/{family.pk}/").status_code == 200
    assert client.get(f"/demo/gestion/familles/{family.pk}/modifier/guardian/").status_code == 403
    assert client.get("/demo/gestion/familles/").status_code == 200


def test_another_organisations_family_is_404(client, manager, other_organisation):
    stranger = FamilyFactory(organisation=other_organisation)
    assert client.get(f"/demo/gestion/familles/{stranger.pk}/").status_code == 404


class TestQueue:
    def test_pending_requests_are_listed_and_filtered(self, client, manager, family):
        parent = family.guardians.get(rank=1).user
        a = request_submit(actor=parent, family=family, kind="guardian", values={"city": "Pau"})
        b = request_submit(
            actor=parent, family=family, kind="situation", values={"marital_status": "married"}
        )
        rows = client.get("/demo/gestion/demandes/").context["rows"]
        assert [r for r, _lines in rows] == [a, b]
        rows = client.get("/demo/gestion/demandes/?type=situation").context["rows"]
        assert [r for r, _lines in rows] == [b]

    def test_bulk_acceptance_reports_what_it_left(self, client, manager, family):
        parent = family.guardians.get(rank=1).user
        fine = request_submit(
            actor=parent, family=family, kind="situation", values={"marital_status": "married"}
        )
        stale = request_submit(actor=parent, family=family, kind="guardian", values={"city": "Pau"})
        file_edit(actor=manager, family=family, kind="guardian", values={"city": "Lyon"})
        response = client.post(
            "/demo/gestion/demandes/accepter/", {"requests": [fine.pk, stale.pk]}, follow=True
        )
        assert "1 demande acceptée" in response.text
        assert "Le dossier a changé" in response.text
        fine.refresh_from_db()
        stale.refresh_from_db()
        assert (fine.status, stale.status) == (RequestStatus.ACCEPTED, RequestStatus.PENDING)

    @pytest.mark.parametrize(
        "target",
        ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "javascript:x"],
    )
    def test_bulk_acceptance_goes_back_only_to_a_page_of_the_site(self, client, manager, target):
        response = client.post("/demo/gestion/demandes/accepter/", {"next": target})
        assert response["Location"] == "/demo/gestion/demandes/"
        response = client.post(
            "/demo/gestion/demandes/accepter/", {"next": "/demo/gestion/demandes/?page=2"}
        )
        assert response["Location"] == "/demo/gestion/demandes/?page=2"

    def test_an_outdated_request_is_confirmed_on_its_page(self, client, manager, family):
        parent = family.guardians.get(rank=1).user
        request = request_submit(
            actor=parent, family=family, kind="guardian", values={"city": "Pau"}
        )
        file_edit(actor=manager, family=family, kind="guardian", values={"city": "Lyon"})
        page = client.get(f"/demo/gestion/demandes/{request.pk}/")
        assert page.context["outdated"] == ["Ville"]
        client.post(f"/demo/gestion/demandes/{request.pk}/accepter/")
        assert family.guardians.get(rank=1).city == "Lyon"
        client.post(f"/demo/gestion/demandes/{request.pk}/accepter/", {"confirm_outdated": "1"})
        assert family.guardians.get(rank=1).city == "Pau"

    def test_a_refusal_without_reason_is_sent_back(self, client, manager, family):
        parent = family.guardians.get(rank=1).user
        request = request_submit(
            actor=parent, family=family, kind="guardian", values={"city": "Pau"}
        )
        response = client.post(
            f"/demo/gestion/demandes/{request.pk}/refuser/", {"reason": ""}, follow=True
        )
        assert "Indiquez pourquoi" in response.text
        request.refresh_from_db()
        assert request.status == RequestStatus.PENDING

    def test_the_bank_details_show_in_full_to_staff(self, client, manager, family):
        parent = family.guardians.get(rank=1).user
        request = request_submit(
            actor=parent,
            family=family,
            kind="bank",
            values={"holder": "Jeanne", "iban": "FR7630006000011234567890189", "bic": ""},
        )
        page = client.get(f"/demo/gestion/demandes/{request.pk}/")
        assert "FR7630006000011234567890189" in page.text

    def test_kinds_accepted_at_once_are_chosen_by_staff(self, client, manager, organisation):
        client.post("/demo/gestion/demandes/reglages/", {"auto_accept": ["guardian", "photo"]})
        auto = set(
            RequestKindSetting.objects.filter(auto_accept=True).values_list("kind", flat=True)
        )
        assert auto == {"guardian", "photo"}
        client.post("/demo/gestion/demandes/reglages/", {"auto_accept": ["photo"]})
        assert not RequestKindSetting.objects.get(kind="guardian").auto_accept

    def test_registrations_not_confirmed_are_not_in_the_queue(self, client, manager, organisation):
        from perisco.families.models import FamilyStatus

        family = FamilyFactory(organisation=organisation, status=FamilyStatus.UNVERIFIED)
        ChangeRequest.objects.create(
            organisation=organisation, family=family, kind=RequestKind.REGISTRATION, changes={}
        )
        assert not client.get("/demo/gestion/demandes/").context["rows"]


def test_published_documents_are_managed_by_staff(client, manager, organisation):
    response = client.post(
        "/demo/gestion/documents/",
        {"title": "Règlement", "kind": "rules", "public": "on", "file": pdf_upload()},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.is_published, document.is_public) == (True, True)
    client.post(f"/demo/gestion/documents/{document.pk}/supprimer/")
    assert not Document.objects.exists()
