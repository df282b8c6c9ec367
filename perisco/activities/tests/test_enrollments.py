from datetime import date

import pytest
import time_machine

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Enrollment, EnrollmentStatus
from perisco.activities.selectors import typical_week_preview
from perisco.activities.services import (
    enrollment_refuse,
    enrollment_request,
    enrollment_validate,
    enrollments_bulk,
)
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.core.errors import DomainError
from perisco.core.tests.factories import SchoolFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user


@pytest.fixture
def parent(organisation):
    return guardian_user(organisation)


@pytest.fixture
def family(parent):
    return Guardian.objects.get(user=parent).family


@pytest.fixture
def child(organisation, family):
    return ChildFactory(
        organisation=organisation,
        first_name="Louise",
        birth_date=date(2018, 5, 17),
        families=[family],
    )


@pytest.fixture
def canteen(organisation):
    period = PeriodFactory(
        activity__organisation=organisation,
        activity__name="Cantine",
        activity__min_age=3,
        activity__max_age=11,
    )
    UnitFactory(activity=period.activity, name="Repas")
    return period


@pytest.fixture
def manager(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER)


@time_machine.travel("2026-06-15 10:00 +02:00")
def test_a_family_asks_and_staff_validate(
    client,
    parent,
    family,
    child,
    canteen,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    client.force_login(parent)
    unit = canteen.activity.units.get()
    url = (
        f"/demo/famille/inscriptions/nouvelle/?enfant={child.pk}"
        f"&structure={canteen.activity.facility_id}&type={canteen.activity.activity_type_id}"
        f"&activite={canteen.activity_id}&periode={canteen.pk}"
    )
    page = client.get(url)
    assert page.context["form"].initial["start"] == date(2026, 9, 1)  # the whole period
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "start": "2026-09-01",
                "end": "2027-07-03",
                f"week_0_{unit.pk}": "on",
                f"week_3_{unit.pk}": "on",
            },
        )
    assert response["Location"] == "/demo/famille/inscriptions/"
    enrollment = Enrollment.objects.get()
    assert enrollment.status == EnrollmentStatus.PENDING
    assert enrollment.typical_week == {"0": [unit.pk], "3": [unit.pk]}
    assert "?" in client.get("/demo/famille/inscriptions/").text
    assert "reçue" in mailoutbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_validate(actor=manager, enrollment=enrollment)
    assert Enrollment.objects.get().status == EnrollmentStatus.VALIDATED
    assert "validée" in mailoutbox[-1].subject


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [(date(2024, 1, 1), "too young|trop jeune"), (date(2012, 1, 1), "too old|trop âgé")],
)
def test_a_child_too_young_or_too_old_is_refused(
    family, organisation, canteen, manager, birth_date, message
):
    child = ChildFactory(organisation=organisation, birth_date=birth_date, families=[family])
    with pytest.raises(DomainError, match=message):
        enrollment_request(actor=manager, family=family, child=child, period=canteen)
    assert not Enrollment.objects.exists()


def test_a_child_cannot_be_enrolled_twice(family, child, canteen, manager):
    enrollment_request(actor=manager, family=family, child=child, period=canteen)
    with pytest.raises(DomainError, match=r"already enrolled|déjà inscrit"):
        enrollment_request(actor=manager, family=family, child=child, period=canteen)
    assert Enrollment.objects.count() == 1


def test_a_refused_enrollment_can_be_asked_again(family, child, canteen, manager):
    first = enrollment_request(actor=manager, family=family, child=child, period=canteen)
    enrollment_refuse(actor=manager, enrollment=first, reason="Dossier incomplet")
    enrollment_request(actor=manager, family=family, child=child, period=canteen)
    assert Enrollment.objects.count() == 2


def test_a_typical_week_on_a_closed_weekday_is_refused(client, parent, child, canteen):
    client.force_login(parent)
    unit = canteen.activity.units.get()
    with pytest.raises(DomainError, match=r"closed on|fermée le|fermé le"):
        enrollment_request(
            actor=parent,
            family=Guardian.objects.get(user=parent).family,
            child=child,
            period=canteen,
            typical_week={2: [unit.pk]},
        )


def test_dates_must_be_within_the_period(family, child, canteen, manager):
    with pytest.raises(DomainError):
        enrollment_request(
            actor=manager,
            family=family,
            child=child,
            period=canteen,
            start=date(2026, 8, 1),
            end=date(2026, 12, 1),
        )


def test_exclusive_units_cannot_share_a_day_of_the_typical_week(family, child, canteen, manager):
    meal = canteen.activity.units.get()
    other = UnitFactory(activity=canteen.activity, name="Panier repas")
    meal.exclusive_with.add(other)
    with pytest.raises(DomainError, match=r"cannot be booked the same day|ne peuvent pas"):
        enrollment_request(
            actor=manager,
            family=family,
            child=child,
            period=canteen,
            typical_week={0: [meal.pk, other.pk]},
        )


def test_a_refusal_needs_a_reason(family, child, canteen, manager):
    enrollment = enrollment_request(actor=manager, family=family, child=child, period=canteen)
    with pytest.raises(DomainError):
        enrollment_refuse(actor=manager, enrollment=enrollment, reason=" ")


def test_a_whole_class_is_enrolled_with_a_report(organisation, canteen, manager):
    school = SchoolFactory(organisation=organisation)
    families = [Guardian.objects.get(user=guardian_user(organisation)).family for _ in range(3)]
    ok = ChildFactory(
        organisation=organisation, school=school, school_class="CE1", families=[families[0]]
    )
    too_young = ChildFactory(
        organisation=organisation,
        school=school,
        school_class="CE1",
        birth_date=date(2024, 1, 1),
        families=[families[1]],
    )
    already = ChildFactory(
        organisation=organisation, school=school, school_class="CE1", families=[families[2]]
    )
    ChildFactory(
        organisation=organisation, school=school, school_class="CM2", families=[families[2]]
    )
    enrollment_request(actor=manager, family=families[2], child=already, period=canteen)
    from perisco.activities.selectors import children_of_class

    report = enrollments_bulk(
        actor=manager, period=canteen, children=list(children_of_class(school.pk, "ce1"))
    )
    assert [e.child for e in report.enrolled] == [ok]
    assert {c for c, _reason in report.skipped} == {too_young, already}
    assert all(e.status == EnrollmentStatus.VALIDATED for e in report.enrolled)


def test_the_class_page_previews_then_enrolls(client, organisation, canteen, manager):
    from perisco.conftest import sign_in

    school = SchoolFactory(organisation=organisation)
    family = Guardian.objects.get(user=guardian_user(organisation)).family
    ChildFactory(organisation=organisation, school=school, school_class="CE1", families=[family])
    sign_in(client, manager)
    data = {"period": canteen.pk, "group": f"{school.pk}:CE1"}
    preview = client.get("/demo/gestion/inscriptions/classe/", data)
    assert [reason for _child, reason in preview.context["preview"]] == [""]
    assert not Enrollment.objects.exists()
    client.post("/demo/gestion/inscriptions/classe/", data)
    assert Enrollment.objects.get().status == EnrollmentStatus.VALIDATED


def test_a_class_of_another_school_is_refused_and_not_offered(
    client, organisation, manager, canteen
):
    """Seen in use: the maternelle's evening care with the CM1 of Jules Ferry enrolled
    four Jules Ferry pupils."""
    from perisco.conftest import sign_in

    tilleuls = SchoolFactory(organisation=organisation, name="École maternelle Les Tilleuls")
    ferry = SchoolFactory(organisation=organisation, name="École primaire Jules Ferry")
    canteen.activity.facility.school = tilleuls
    canteen.activity.facility.save()
    family = Guardian.objects.get(user=guardian_user(organisation)).family
    for _ in range(4):
        ChildFactory(organisation=organisation, school=ferry, school_class="CM1", families=[family])
    ChildFactory(organisation=organisation, school=tilleuls, school_class="GS", families=[family])
    sign_in(client, manager)
    url = "/demo/gestion/inscriptions/classe/"
    page = client.get(url, {"period": canteen.pk})
    assert f"{tilleuls.pk}:GS" in page.text
    assert f"{ferry.pk}:CM1" not in page.text
    data = {"period": canteen.pk, "group": f"{ferry.pk}:CM1"}
    refused = client.get(url, data)
    assert "pupils of École maternelle Les Tilleuls" in refused.text or "élèves de" in refused.text
    assert refused.context["preview"] is None
    client.post(url, data)
    assert not Enrollment.objects.exists()


def test_a_pupil_of_another_school_cannot_be_enrolled_in_a_schools_activity(
    organisation, family, canteen, manager
):
    school, other = (
        SchoolFactory(organisation=organisation),
        SchoolFactory(organisation=organisation),
    )
    canteen.activity.facility.school = school
    canteen.activity.facility.save()
    pupil = ChildFactory(organisation=organisation, school=other, families=[family])
    with pytest.raises(DomainError, match=school.name):
        enrollment_request(actor=manager, family=family, child=pupil, period=canteen)
    report = enrollments_bulk(actor=manager, period=canteen, children=[pupil])
    assert not report.enrolled and report.skipped[0][0] == pupil


def test_the_class_preview_lists_who_is_left_out_with_the_reason_before_the_button(
    client, organisation, canteen, manager
):
    from perisco.conftest import sign_in

    school = SchoolFactory(organisation=organisation)
    family = Guardian.objects.get(user=guardian_user(organisation)).family
    already = ChildFactory(
        organisation=organisation,
        school=school,
        school_class="CE1",
        first_name="Déjà",
        families=[family],
    )
    ChildFactory(organisation=organisation, school=school, school_class="CE1", families=[family])
    enrollment_request(actor=manager, family=family, child=already, period=canteen)
    sign_in(client, manager)
    page = client.get(
        "/demo/gestion/inscriptions/classe/", {"period": canteen.pk, "group": f"{school.pk}:CE1"}
    ).text
    reason = page.index("already enrolled") if "already enrolled" in page else page.index("déjà")
    assert "Déjà" in page
    assert reason < page.index('type="submit" class="button">')
    assert "Enroll 1 child" in page or "Inscrire 1 enfant" in page


@time_machine.travel("2026-11-09 10:00 +01:00")
def test_the_typical_week_preview_says_what_can_still_be_booked(family, child, canteen, manager):
    meal = canteen.activity.units.get()
    enrollment = enrollment_request(
        actor=manager,
        family=family,
        child=child,
        period=canteen,
        start=date(2026, 11, 9),
        end=date(2026, 11, 20),
        typical_week={0: [meal.pk], 3: [meal.pk]},
        by_staff=True,
    )
    from django.utils import timezone

    slots = typical_week_preview(enrollment, timezone.now())
    assert [(d, v.allowed) for _u, d, v in slots] == [
        (date(2026, 11, 9), False),
        (date(2026, 11, 12), False),  # past 3 working days
        (date(2026, 11, 16), True),
        (date(2026, 11, 19), True),
    ]


def test_a_family_withdraws_its_pending_request_but_not_anothers(
    client, organisation, parent, family, child, canteen, manager
):
    mine = enrollment_request(actor=parent, family=family, child=child, period=canteen)
    other_family = Guardian.objects.get(user=guardian_user(organisation)).family
    theirs = enrollment_request(
        actor=manager,
        family=other_family,
        period=canteen,
        child=ChildFactory(organisation=organisation, families=[other_family]),
    )
    client.force_login(parent)
    assert client.post(f"/demo/famille/inscriptions/{theirs.pk}/retirer/").status_code == 404
    client.post(f"/demo/famille/inscriptions/{mine.pk}/retirer/")
    assert Enrollment.objects.get(pk=mine.pk).status == EnrollmentStatus.CANCELLED


def test_staff_enroll_a_child_from_the_family_page(client, family, child, canteen, manager):
    from perisco.conftest import sign_in

    sign_in(client, manager)
    url = f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/inscrire/?periode={canteen.pk}"
    response = client.post(url, {"start": "2026-09-01", "end": "2027-07-03"})
    assert response.status_code == 302
    assert Enrollment.objects.get().status == EnrollmentStatus.VALIDATED


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_same_activity_at_once_make_one_enrollment():
    import threading

    from django.db import connection

    from perisco.core.scoping import organisation_scope
    from perisco.core.tests.factories import OrganisationFactory

    organisation = OrganisationFactory()
    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    child = ChildFactory(organisation=organisation, families=[family])
    period = PeriodFactory(activity__organisation=organisation)
    barrier, outcomes = threading.Barrier(2), []

    def ask():
        try:
            barrier.wait(timeout=5)
            with organisation_scope(organisation):
                enrollment_request(actor=parent, family=family, child=child, period=period)
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Enrollment.objects.count() == 1


def test_the_class_choice_starts_with_the_same_blank_as_every_form(organisation):
    from perisco.activities.forms import BulkEnrollmentForm
    from perisco.core.forms import BLANK_CHOICE_LABEL

    assert BulkEnrollmentForm().fields["group"].widget.choices[0] == ("", BLANK_CHOICE_LABEL)
