"""Staff apply a changed typical week from a day: one action that books the new days and
cancels those it no longer asks for, with deadlines as for any staff action."""

from datetime import date, datetime

import pytest
import time_machine

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.models import Booking, BookingAction
from perisco.bookings.services import Change, Result, bookings_apply, typical_week_reapply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import NOW, enroll
from perisco.conftest import sign_in
from perisco.core.errors import DomainError
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

MONDAYS = [date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)]
THURSDAYS = [date(2026, 11, 26), date(2026, 12, 3), date(2026, 12, 10), date(2026, 12, 17)]
# Wednesday 25 November, 10:00: Thursday 26 can no longer be booked (closed Monday 9:00)
# nor Monday 30 cancelled (closed Wednesday 9:00); Thursday 3 December still can.
LATER = datetime(2026, 11, 25, 10, 0, tzinfo=PARIS)


def booked(child):
    return sorted(
        Booking.objects.filter(child=child, state=State.CONFIRMED).values_list("day", flat=True)
    )


@pytest.fixture
def enrollment(parent, family, canteen, make_child):
    """Louise has her Mondays booked from the typical week; then it changes to Thursdays."""
    child = make_child(family, first_name="Louise")
    enrollment = enroll(child, family, canteen)
    enrollment.start, enrollment.end = date(2026, 11, 23), date(2026, 12, 18)
    enrollment.typical_week = {"0": [canteen.pk]}
    enrollment.save()
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, d) for d in MONDAYS],
        now=NOW,
    )
    enrollment.typical_week = {"3": [canteen.pk]}
    enrollment.save()
    return enrollment


def test_the_changed_week_is_applied_from_the_day_only(
    manager, enrollment, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = typical_week_reapply(
            actor=manager, enrollment=enrollment, start=date(2026, 12, 7), now=NOW
        )

    # Before 7 December nothing moves: Monday 30 stays, Thursday 3 is not booked.
    assert booked(enrollment.child) == [date(2026, 11, 30), date(2026, 12, 10), date(2026, 12, 17)]
    cancelled = Booking.objects.filter(state=State.CANCELLED).values_list("day", flat=True)
    assert sorted(cancelled) == [date(2026, 12, 7), date(2026, 12, 14)]
    assert not report.refused
    assert BookingAction.objects.filter(source=BookingAction.Source.STAFF).count() == 1
    (email,) = mailoutbox
    assert "jeudi 10 décembre" in email.body and "lundi 7 décembre" in email.body


def test_days_past_their_deadline_are_refused_with_the_reason_unless_staff_override(
    manager, enrollment
):
    report = typical_week_reapply(
        actor=manager, enrollment=enrollment, start=date(2026, 11, 25), now=LATER
    )
    refused = {o.change.day: o.sentence for o in report.refused}
    assert set(refused) == {date(2026, 11, 26), date(2026, 11, 30)}
    assert all("Trop tard" in sentence for sentence in refused.values())
    assert booked(enrollment.child) == [date(2026, 11, 30), *THURSDAYS[1:]]

    report = typical_week_reapply(
        actor=manager,
        enrollment=enrollment,
        start=date(2026, 11, 25),
        now=LATER,
        override_reason="Changement d'emploi du temps du parent",
    )
    assert [o.result for o in report.outcomes] == [Result.BOOKED, Result.CANCELLED]
    assert booked(enrollment.child) == THURSDAYS
    assert report.action.override_reason == "Changement d'emploi du temps du parent"


def test_a_day_outside_the_enrollment_or_nothing_to_change_is_said(manager, enrollment):
    with pytest.raises(DomainError, match="23/11/2026"):
        typical_week_reapply(
            actor=manager, enrollment=enrollment, start=date(2026, 12, 19), now=NOW
        )
    typical_week_reapply(actor=manager, enrollment=enrollment, start=date(2026, 11, 23), now=NOW)
    with pytest.raises(DomainError, match="Rien à changer"):
        typical_week_reapply(
            actor=manager, enrollment=enrollment, start=date(2026, 11, 23), now=NOW
        )


URL = "/demo/gestion/inscriptions/{}/semaine-type/"


def test_staff_apply_it_from_the_enrollment_page_and_read_the_report(
    client, manager, enrollment, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(LATER, tick=False):
        sign_in(client, manager)
        page = client.get(f"/demo/gestion/inscriptions/{enrollment.pk}/")
        assert 'value="2026-11-25"' in page.text  # today by default
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL.format(enrollment.pk), {"start": "2026-11-25"}, follow=True)

    text = response.text
    assert "3 jours réservés, 2 jours annulés, 2 refusés." in text
    assert "La famille en est informée par e-mail." in text
    assert "jeudi 26 novembre" in text and "Trop tard" in text
    assert len(mailoutbox) == 1


def test_only_staff_who_manage_bookings_may_and_only_in_their_town(
    client, organisation, other_organisation, enrollment
):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    sign_in(client, agent)
    assert client.post(URL.format(enrollment.pk), {"start": "2026-12-07"}).status_code == 403

    period = PeriodFactory(activity__organisation=other_organisation)
    unit = UnitFactory(activity=period.activity)
    family = Guardian.objects.get(user=guardian_user(other_organisation)).family
    child = ChildFactory(organisation=other_organisation, families=[family])
    theirs = enroll(child, family, unit)
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    assert client.post(URL.format(theirs.pk), {"start": "2026-12-07"}).status_code == 404
    assert not Booking.objects.filter(child=child).exists()
