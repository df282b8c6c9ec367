from datetime import date

import pytest
import time_machine

from perisco.core.errors import DomainError
from perisco.families.models import FamilyCertification, FamilyStatus, school_year_of
from perisco.families.services import certification_year, family_booking_block, family_certify


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 8, 31), 2025), (date(2026, 9, 1), 2026), (date(2027, 7, 14), 2026)],
)
def test_a_day_belongs_to_the_school_year_from_september_to_august(day, year):
    assert school_year_of(day) == year


def test_from_june_families_certify_for_the_coming_year():
    assert certification_year(date(2026, 5, 31)) == 2025
    assert certification_year(date(2026, 6, 1)) == 2026


def test_booking_waits_for_the_certification_of_the_days_school_year(parent, family):
    assert "certifiez" in family_booking_block(family, date(2026, 9, 7))
    family_certify(
        actor=parent,
        family=family,
        school_year=2026,
        file_up_to_date=True,
        rules_accepted=True,
        data_processing_acknowledged=True,
    )
    assert family_booking_block(family, date(2026, 9, 7)) is None
    assert family_booking_block(family, date(2027, 7, 15)) is None
    assert family_booking_block(family, date(2026, 8, 31)) is not None  # previous year
    assert family_booking_block(family, date(2027, 9, 6)) is not None  # next year


def test_a_registration_awaiting_validation_cannot_book(parent, family):
    family_certify(
        actor=parent,
        family=family,
        school_year=2026,
        file_up_to_date=True,
        rules_accepted=True,
        data_processing_acknowledged=True,
    )
    family.status = FamilyStatus.PENDING
    assert "en attente de validation" in family_booking_block(family, date(2026, 9, 7))


def test_the_three_boxes_are_needed(parent, family):
    with pytest.raises(DomainError):
        family_certify(
            actor=parent,
            family=family,
            school_year=2026,
            file_up_to_date=True,
            rules_accepted=False,
            data_processing_acknowledged=True,
        )
    assert not FamilyCertification.objects.exists()


@time_machine.travel(date(2026, 8, 20))
def test_the_family_certifies_from_its_home_page(client, parent, family):
    client.force_login(parent)
    home = client.get("/demo/famille/")
    assert "certifiez votre dossier" in home.text
    response = client.post("/demo/famille/attestation/", {"file_up_to_date": "on"})
    assert response.status_code == 200
    response = client.post(
        "/demo/famille/attestation/",
        {"file_up_to_date": "on", "rules_accepted": "on", "data_processing_acknowledged": "on"},
    )
    assert response.status_code == 302
    assert FamilyCertification.objects.get().school_year == 2026
    assert "certifiez votre dossier" not in client.get("/demo/famille/").text
