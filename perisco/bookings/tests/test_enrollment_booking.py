from datetime import date

import time_machine

from perisco.activities.models import Enrollment, EnrollmentStatus
from perisco.bookings.models import Booking
from perisco.bookings.services import enrollment_validate_and_book
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW


def test_validating_an_enrollment_books_its_typical_week(
    manager, family, canteen, make_child, django_capture_on_commit_callbacks
):
    child = make_child(family)
    period = canteen.activity.periods.get()
    enrollment = Enrollment.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=canteen.activity,
        period=period,
        start=date(2026, 11, 23),
        end=date(2026, 12, 4),
        typical_week={"0": [canteen.pk], "1": [canteen.pk]},
        status=EnrollmentStatus.PENDING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment, report = enrollment_validate_and_book(
            actor=manager, enrollment=enrollment, now=NOW
        )

    assert enrollment.status == EnrollmentStatus.VALIDATED
    # Monday 23 and Tuesday 24 are past their deadlines; the next week is booked.
    assert set(Booking.objects.filter(state=State.CONFIRMED).values_list("day", flat=True)) == {
        date(2026, 11, 30),
        date(2026, 12, 1),
    }
    assert len(report.refused) == 2


def test_staff_validating_read_how_many_days_were_booked(
    client, manager, family, canteen, make_child
):
    from perisco.conftest import sign_in

    child = make_child(family)
    period = canteen.activity.periods.get()
    enrollment = Enrollment.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=canteen.activity,
        period=period,
        start=period.start,
        end=date(2027, 1, 8),
        typical_week={"3": [canteen.pk]},  # Thursdays, from today on
        status=EnrollmentStatus.PENDING,
    )
    sign_in(client, manager)
    response = client.post(f"/demo/gestion/inscriptions/{enrollment.pk}/valider/", follow=True)
    booked = Booking.objects.filter(state=State.CONFIRMED).count()
    assert booked > 0
    assert f"{booked} jours réservés depuis la semaine type" in response.text


def test_validating_sends_one_email_that_says_enrolled_and_what_was_booked(
    manager, family, canteen, make_child, mailoutbox, django_capture_on_commit_callbacks
):
    child = make_child(family, first_name="Louise")
    enrollment = Enrollment.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=canteen.activity,
        period=canteen.activity.periods.get(),
        start=date(2026, 11, 23),
        end=date(2026, 12, 4),
        typical_week={"0": [canteen.pk]},  # Mondays
        status=EnrollmentStatus.PENDING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment, _report = enrollment_validate_and_book(
            actor=manager, enrollment=enrollment, now=NOW
        )

    assert enrollment.family_emailed == 1
    (email,) = mailoutbox
    assert "Inscription validée" in email.subject
    assert "Louise est inscrite" in email.body
    assert "Réservations de la semaine type" in email.body
    assert "lundi 30 novembre" in email.body and "Réservé." in email.body
    # Monday 23 is past its deadline: said in the same e-mail.
    assert "lundi 23 novembre" in email.body and "Trop tard" in email.body


def test_staff_enrolling_a_child_directly_send_one_email(
    client, manager, family, canteen, make_child, mailoutbox, django_capture_on_commit_callbacks
):
    from perisco.conftest import sign_in

    child = make_child(family, first_name="Louise")
    period = canteen.activity.periods.get()
    sign_in(client, manager)
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/inscrire/?periode={period.pk}",
            {"start": "2026-11-23", "end": "2026-12-04", f"week_0_{canteen.pk}": "on"},
            follow=True,
        )

    assert "Louise est inscrite" in response.text
    assert Booking.objects.filter(day=MON_30, state=State.CONFIRMED).exists()
    (email,) = mailoutbox
    assert "Louise est inscrite" in email.body and "lundi 30 novembre" in email.body


def test_a_whole_class_is_enrolled_and_each_childs_typical_week_booked(
    client,
    organisation,
    manager,
    family,
    canteen,
    make_child,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    from perisco.conftest import sign_in
    from perisco.core.tests.factories import SchoolFactory

    school = SchoolFactory(organisation=organisation)
    pupils = [
        make_child(family, school=school, school_class="CE1", first_name=name)
        for name in ("Anna", "Basile", "Chloé")
    ]
    period = canteen.activity.periods.get()
    sign_in(client, manager)
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/demo/gestion/inscriptions/classe/",
            {"period": period.pk, "group": f"{school.pk}:CE1", f"week_0_{canteen.pk}": "on"},
            follow=True,
        )

    enrollments = Enrollment.objects.filter(status=EnrollmentStatus.VALIDATED)
    assert enrollments.count() == 3
    assert all(e.typical_week == {"0": [canteen.pk]} for e in enrollments)
    # Two places on Monday 30: two children booked, the third on the waiting list.
    states = sorted(Booking.objects.filter(day=MON_30).values_list("state", flat=True))
    assert states == sorted([State.CONFIRMED, State.CONFIRMED, State.WAITING])
    assert not Booking.objects.filter(day=date(2026, 11, 23)).exists()
    # Each child's days that could not be booked (Monday 23, past its deadline) are said.
    said = [str(m) for m in response.context["messages"]]
    assert "3 enfants inscrits à Cantine." in said[0]
    for pupil in pupils:
        (line,) = [m for m in said if m.startswith(f"{pupil} : ")]
        assert "1 n'a pas pu l'être (délai passé" in line
    # One e-mail per child (the family has three children here), not two.
    assert len(mailoutbox) == 3
    assert all("semaine type" in m.body for m in mailoutbox)
