from datetime import date

from django.core import mail

from perisco.bookings.models import Booking, BookingAction
from perisco.bookings.services import Result, typical_week_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import NOW, enroll


def test_a_typical_week_books_its_days_until_the_end_and_reports_the_others(
    parent, family, canteen, make_child, django_capture_on_commit_callbacks
):
    child = make_child(family)
    enrollment = enroll(child, family, canteen)
    enrollment.start, enrollment.end = date(2026, 11, 23), date(2026, 12, 4)
    enrollment.typical_week = {"0": [canteen.pk], "3": [canteen.pk]}  # Mondays, Thursdays
    enrollment.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report = typical_week_apply(actor=parent, enrollment=enrollment, now=NOW)

    # Monday 23 is past its deadline; Thursday 26 closes today at 9:00 (now is 8:00).
    assert [(o.change.day, o.result) for o in report.outcomes] == [
        (date(2026, 11, 23), Result.REFUSED),
        (date(2026, 11, 26), Result.BOOKED),
        (date(2026, 11, 30), Result.BOOKED),
        (date(2026, 12, 3), Result.BOOKED),
    ]
    assert Booking.objects.filter(state=State.CONFIRMED).count() == 3
    assert report.action.source == BookingAction.Source.TYPICAL_WEEK
    assert len(mail.outbox) == 1 and "semaine type" in mail.outbox[0].body


def test_a_typical_week_that_asks_nothing_books_nothing(parent, family, canteen, make_child):
    child = make_child(family)
    enrollment = enroll(child, family, canteen)
    assert typical_week_apply(actor=parent, enrollment=enrollment, now=NOW) is None
    assert not Booking.objects.exists()
