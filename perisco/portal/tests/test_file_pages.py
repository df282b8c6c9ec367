"""The family's file pages: what they show, the request forms, "Mes demandes"."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perisco.families.models import BankAccount, ChangeRequest, Guardian, RequestStatus
from perisco.families.requests import request_submit
from perisco.families.tests.factories import ChildFactory, FamilyFactory, guardian_user

IBAN = "FR7630006000011234567890189"


def test_my_family_masks_the_bank_account(client, organisation, family):
    BankAccount.objects.create(
        organisation=organisation, family=family, holder="J. Dupont", iban=IBAN
    )
    html = client.get("/demo/famille/ma-famille/").text
    assert IBAN not in html and "3000600001" not in html
    assert "FR76" in html and "189" in html


def test_a_change_request_is_sent_and_listed(
    client, family, mailoutbox, django_capture_on_commit_callbacks
):
    form = client.get("/demo/famille/ma-famille/demande/guardian/")
    assert form.context["form"].initial["first_name"] == "Jeanne"
    data = {k: v for k, v in form.context["form"].initial.items() if v not in (None, False)}
    data["mobile_phone"] = "06 99 88 77 66"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/demo/famille/ma-famille/demande/guardian/", data)
    assert response["Location"] == "/demo/famille/demandes/"
    request = ChangeRequest.objects.get()
    assert list(request.changes) == ["mobile_phone"]
    listing = client.get("/demo/famille/demandes/").text
    assert "06 99 88 77 66" in listing and "En attente" in listing
    assert len(mailoutbox) == 1


def test_an_invalid_iban_gets_a_clear_message(client, family):
    response = client.post(
        "/demo/famille/ma-famille/demande/bank/",
        {"holder": "Jeanne", "iban": "FR76 3000 6000 0112 3456 7890 188"},
    )
    assert "Cet IBAN n&#x27;est pas valide" in response.text
    assert not ChangeRequest.objects.exists()


def test_the_child_page_and_its_request_forms(client, child):
    page = client.get(f"/demo/famille/enfants/{child.pk}/")
    assert "Louise" in page.text
    response = client.post(
        f"/demo/famille/enfants/{child.pk}/demande/health/",
        {
            "allergies": "Kiwi",
            "diets": ["no_pork", "packed_meal"],
            "vaccinations_up_to_date": "on",
            "medical_intervention": "on",
        },
    )
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.changes["diets"] == {"before": [], "after": ["no_pork", "packed_meal"]}


def test_authorised_persons_are_sent_as_a_list(client, child):
    response = client.post(
        f"/demo/famille/enfants/{child.pk}/demande/contacts/",
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "10",
            "contacts-0-first_name": "Odile",
            "contacts-0-last_name": "Martin",
            "contacts-0-relationship": "voisine",
            "contacts-0-phone": "0611223344",
            "contacts-0-can_pick_up": "on",
        },
    )
    assert response.status_code == 302
    assert ChangeRequest.objects.get().changes["contacts"]["after"][0]["first_name"] == "Odile"


def test_another_familys_child_is_404_by_url_tampering(client, organisation, child):
    stranger = ChildFactory(
        organisation=organisation, families=[FamilyFactory(organisation=organisation)]
    )
    for url in (
        f"/demo/famille/enfants/{stranger.pk}/",
        f"/demo/famille/enfants/{stranger.pk}/demande/health/",
        f"/demo/famille/enfants/{stranger.pk}/fiche.pdf",
    ):
        assert client.get(url).status_code == 404
    response = client.post(
        f"/demo/famille/enfants/{stranger.pk}/demande/health/", {"allergies": "x"}
    )
    assert response.status_code == 404
    assert not ChangeRequest.objects.exists()


def test_an_unknown_kind_is_404(client, child):
    assert client.get("/demo/famille/ma-famille/demande/registration/").status_code == 404
    assert client.get(f"/demo/famille/enfants/{child.pk}/demande/bank/").status_code == 404


def test_the_child_sheet_is_a_pdf_in_two_versions(client, child):
    simple = client.get(f"/demo/famille/enfants/{child.pk}/fiche.pdf")
    complete = client.get(f"/demo/famille/enfants/{child.pk}/fiche.pdf?version=complete")
    assert simple["Content-Type"] == complete["Content-Type"] == "application/pdf"
    assert simple.content.startswith(b"%PDF")
    assert "fiche-louise" in simple["Content-Disposition"]
    assert len(complete.content) > len(simple.content)
    # Health data: no browser or proxy keeps a copy.
    assert complete["Cache-Control"] == "private, no-store"


def test_my_requests_shows_the_last_month_then_more_on_demand(client, parent, family):
    with time_machine.travel(timezone.now() - timedelta(days=45)):
        old = request_submit(actor=parent, family=family, kind="guardian", values={"city": "Pau"})
    recent = request_submit(
        actor=parent, family=family, kind="situation", values={"marital_status": "married"}
    )
    shown = list(client.get("/demo/famille/demandes/").context["items"])
    assert [r for _what, r, _lines in shown] == [recent]
    everything = client.get("/demo/famille/demandes/?periode=tout").context["items"]
    assert [r for _what, r, _lines in everything] == [recent, old]
    filtered = client.get("/demo/famille/demandes/?periode=tout&type=guardian").context["items"]
    assert [r for _what, r, _lines in filtered] == [old]


def test_a_family_withdraws_its_request_but_not_anothers(client, organisation, parent, family):
    mine = request_submit(actor=parent, family=family, kind="guardian", values={"city": "Pau"})
    other_parent = guardian_user(organisation)
    theirs = request_submit(
        actor=other_parent,
        family=Guardian.objects.get(user=other_parent).family,
        kind="guardian",
        values={"city": "Pau"},
    )
    assert client.post(f"/demo/famille/demandes/{theirs.pk}/retirer/").status_code == 404
    client.post(f"/demo/famille/demandes/{mine.pk}/retirer/")
    mine.refresh_from_db()
    assert mine.status == RequestStatus.WITHDRAWN


@pytest.mark.parametrize("children", [1, 6])
def test_file_pages_need_the_same_queries_whatever_the_number_of_children(
    client, organisation, family, children
):
    for _ in range(children):
        ChildFactory(organisation=organisation, families=[family])
    for url in (
        "/demo/famille/",
        "/demo/famille/enfants/",
        "/demo/famille/ma-famille/",
        "/demo/famille/demandes/",
        "/demo/famille/documents/",
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        # The home: two more (unread messages per box, the announcements).
        assert len(queries) <= (14 if url == "/demo/famille/" else 13), (url, len(queries))


def test_a_supporting_document_goes_with_the_request(client, child):
    from perisco.families.tests.conftest import pdf_upload

    response = client.post(
        f"/demo/famille/enfants/{child.pk}/demande/health/",
        {
            "allergies": "Kiwi",
            "vaccinations_up_to_date": "on",
            "medical_intervention": "on",
            "attachment": pdf_upload("carnet.pdf"),
        },
    )
    assert response.status_code == 302
    document = ChangeRequest.objects.get().documents.get()
    assert (document.kind, document.child) == ("vaccinations", child)


def test_a_quotient_needs_its_attestation(client, family):
    response = client.post(
        "/demo/famille/ma-famille/demande/fiscal/", {"value": "640", "valid_from": "2026-01-01"}
    )
    assert response.status_code == 200
    assert not ChangeRequest.objects.exists()
