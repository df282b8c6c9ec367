from datetime import date

from perisco.activities.models import Enrollment, EnrollmentStatus
from perisco.bookings.models import Booking
from perisco.bookings.services import enrollment_validate_and_book
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import NOW


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
