"""Holiday sessions given by a draw, from the staff's pages and the family's."""

from html import unescape

import pytest
import time_machine
from django.core import mail

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import RequestWindow
from perisco.bookings.models import Booking, PlaceRequest
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import AFTER_WINDOW, FEB_15, FEB_16, NOW, household
from perisco.conftest import sign_in
from perisco.core.urls import org_reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    return unescape(response.content.decode())


def test_a_manager_opens_a_window_families_ask_then_the_draw_is_run_and_published(
    client, organisation, manager, session, django_capture_on_commit_callbacks
):
    period = session.activity.periods.get()
    sign_in(client, manager)
    listing = text(client.get(org_reverse(organisation, "backoffice:sessions")))
    assert "Vacances d'hiver 2027" in listing and "Premier arrivé, premier servi." in listing
    url = org_reverse(organisation, "backoffice:request_window_new", period_pk=period.pk)
    response = client.post(
        url,
        {
            "unit": session.pk,
            "opens_at": "2026-11-23T08:00",
            "closes_at": "2026-12-01T12:00",
            "resident": 4,
            "working": 2,
            "refused_last_time": 1,
            "siblings_together": "on",
        },
        follow=True,
    )
    window = RequestWindow.objects.get()
    assert "familles demandent des jours" in text(response)
    assert window.weights == {"resident": 4, "working": 2, "refused_last_time": 1}

    families = [household(organisation, session, name) for name in ("Léa", "Tom", "Zoé")]
    for user, _family, children in families:
        sign_in(client, user)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(
                org_reverse(organisation, "portal:holiday_requests"),
                {"fenetre": window.pk, "jour": [f"{children[0].pk}:{FEB_15.isoformat()}"]},
                follow=True,
            )
        assert "Votre demande est enregistrée : 1 jour demandé." in text(page)
        assert len(mail.outbox) == 1 and "sont enregistrées" in mail.outbox[0].subject

    sign_in(client, manager)
    detail = org_reverse(organisation, "backoffice:request_window", pk=window.pk)
    assert "3 familles demandent" in text(client.get(detail))
    with time_machine.travel(AFTER_WINDOW, tick=False):
        sign_in(client, manager)  # a week later: the session has expired
        done = text(client.post(f"{detail}lancer/", follow=True))
        assert "Tirage fait : 2 places attribuées, 1 demande en liste d'attente." in done
        assert "Graine du tirage" in done
        assert not Booking.objects.exists()
        again = text(client.post(f"{detail}lancer/", follow=True))
        assert "Même graine, même tirage" in again
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            asked = text(client.post(f"{detail}publier/", follow=True))
            # The booking is the background task's, run when the request's work commits.
            assert "Publication lancée" in asked and "Publication en cours" in asked
            assert not Booking.objects.exists()
        published = text(client.get(detail))
    assert "2 jours réservés, 1 en liste d'attente ; e-mails envoyés aux familles : 3." in published
    assert Booking.objects.filter(state=State.CONFIRMED).count() == 2
    assert Booking.objects.filter(state=State.WAITING).count() == 1
    assert len(mail.outbox) == 3

    waiting = PlaceRequest.objects.get(result=PlaceRequest.Result.WAITING)
    user = next(u for u, f, _c in families if f.pk == waiting.family_id)
    sign_in(client, user)
    answer = text(client.get(org_reverse(organisation, "portal:holiday_requests")))
    assert "liste d'attente : les places sont allées selon les priorités" in answer


def test_a_bonus_needs_a_reason_and_sets_a_draw_aside(client, organisation, manager, window):
    user, family, children = household(organisation, window.unit, "Léa")
    from perisco.bookings.allocation import allocation_run, place_requests_set

    place_requests_set(
        actor=user, family=family, window=window, wanted={(children[0].pk, FEB_16)}, now=NOW
    )
    allocation_run(actor=manager, window=window, now=AFTER_WINDOW)
    sign_in(client, manager)
    url = org_reverse(organisation, "backoffice:request_window_bonus", pk=window.pk)

    refused = text(client.post(url, {"family": family.pk, "points": 3, "note": ""}, follow=True))
    saved = text(
        client.post(url, {"family": family.pk, "points": 3, "note": "Situation"}, follow=True)
    )

    assert "Dites pourquoi la famille reçoit ces points." in refused
    assert "Relancez le tirage" in saved
    window.refresh_from_db()
    assert window.bonuses == {str(family.pk): {"points": 3, "note": "Situation"}}
    assert window.drawn_at is None
    assert PlaceRequest.objects.get().result == PlaceRequest.Result.PENDING


def test_the_windows_page_reads_a_fixed_number_of_queries(
    client, organisation, manager, window, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from perisco.bookings.allocation import place_requests_set

    sign_in(client, manager)
    url = org_reverse(organisation, "backoffice:request_window", pk=window.pk)

    def ask(count):
        for index in range(count):
            user, family, children = household(organisation, window.unit, f"E{index}", "F")
            place_requests_set(
                actor=user,
                family=family,
                window=window,
                wanted={(c.pk, d) for c in children for d in (FEB_15, FEB_16)},
                now=NOW,
            )

    ask(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    ask(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "12 familles demandent" in text(client.get(url))


@pytest.mark.parametrize("role", [Role.AGENT, Role.GUARDIAN])
def test_agents_and_families_do_not_see_the_draw(client, organisation, window, role):
    from perisco.families.tests.factories import guardian_user

    user = (
        guardian_user(organisation)
        if role == Role.GUARDIAN
        else UserFactory(organisation=organisation, role=role)
    )
    sign_in(client, user)
    url = org_reverse(organisation, "backoffice:request_window", pk=window.pk)
    assert client.get(url).status_code in (403, 404)


def test_finance_sees_the_draw_but_cannot_run_it(client, organisation, window):
    sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
    url = org_reverse(organisation, "backoffice:request_window", pk=window.pk)
    assert client.get(url).status_code == 200
    with time_machine.travel(AFTER_WINDOW, tick=False):
        sign_in(client, UserFactory(organisation=organisation, role=Role.FINANCE))
        assert client.post(f"{url}lancer/").status_code == 403
    assert RequestWindow.objects.get().drawn_at is None


def test_another_organisations_window_is_a_404(client, other_organisation, window):
    sign_in(client, UserFactory(organisation=other_organisation, role=Role.MANAGER))
    url = org_reverse(other_organisation, "backoffice:request_window", pk=window.pk)
    assert client.get(url).status_code == 404
    user, _family, _children = household(other_organisation, window.unit, "Léa")
    sign_in(client, user)
    page = client.post(
        org_reverse(other_organisation, "portal:holiday_requests"), {"fenetre": window.pk}
    )
    assert page.status_code == 404
    assert not PlaceRequest.objects.exists()


def test_a_child_without_enrollment_is_explained_instead_of_offered(client, organisation, window):
    from perisco.families.tests.factories import ChildFactory

    user, family, (lea,) = household(organisation, window.unit, "Léa")
    ChildFactory(organisation=organisation, families=[family], first_name="Tom")
    sign_in(client, user)

    page = text(client.get(org_reverse(organisation, "portal:holiday_requests")))

    assert "Tom n'a pas d'inscription à ALSH vacances pour cette session" in page
    assert f'value="{lea.pk}:2027-02-15"' in page
    assert ">Tom</label>" not in page


def test_a_forged_window_number_is_a_404(client, organisation, window):
    user, _family, _children = household(organisation, window.unit, "Léa")
    sign_in(client, user)
    url = org_reverse(organisation, "portal:holiday_requests")
    assert client.post(url, {"fenetre": "abc"}).status_code == 404


def test_once_drawn_the_page_shows_the_points_the_draw_used(client, organisation, manager, window):
    from perisco.bookings.allocation import allocation_run, place_requests_set
    from perisco.families.models import Guardian

    organisation.city = "Pau"
    organisation.save()
    user, family, (lea,) = household(organisation, window.unit, "Léa", city="Pau")
    place_requests_set(actor=user, family=family, window=window, wanted={(lea.pk, FEB_15)}, now=NOW)
    allocation_run(actor=manager, window=window, now=AFTER_WINDOW)
    Guardian.objects.filter(family=family).update(city="Lescar")  # moved since the draw
    sign_in(client, manager)

    page = text(client.get(org_reverse(organisation, "backoffice:request_window", pk=window.pk)))

    assert "Habite la commune" in page and "4 points" in page
