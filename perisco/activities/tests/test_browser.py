"""Activity pages in Chromium at phone and desktop widths, with axe-core."""

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.models import Closure, DayOverride, Enrollment, EnrollmentStatus
from perisco.activities.services import enrollment_request
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory, SchoolFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(transactional_db):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    manager = UserFactory(organisation=org, role=Role.MANAGER)
    parent = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=parent).family
    school = SchoolFactory(organisation=org, name="École Jules Ferry")
    child = ChildFactory(
        organisation=org, first_name="Louise", school=school, school_class="CE1", families=[family]
    )
    canteen = PeriodFactory(
        activity__organisation=org,
        activity__name="Restauration scolaire",
        activity__facility__name="École Jules Ferry – périscolaire",
        activity__activity_type__name="Restauration",
    )
    meal = UnitFactory(activity=canteen.activity, name="Repas", capacity=120)
    wednesday = PeriodFactory(
        activity__organisation=org,
        activity__name="ALSH mercredi",
        name="Mercredis",
        weekdays=[2],
        activity__facility=canteen.activity.facility,
        activity__activity_type=canteen.activity.activity_type,
    )
    UnitFactory(activity=wednesday.activity, name="Journée")
    Closure.objects.create(
        organisation=org, start=date(2027, 2, 5), end=date(2027, 2, 5), label="Journée pédagogique"
    )
    DayOverride.objects.create(
        organisation=org,
        activity=canteen.activity,
        date=date(2026, 12, 2),
        is_open=True,
        reason="Rattrapage",
    )
    enrollment_request(
        actor=manager,
        family=family,
        child=child,
        period=canteen,
        typical_week={0: [meal.pk], 1: [meal.pk]},
        by_staff=True,
    )
    pending = enrollment_request(actor=parent, family=family, child=child, period=wednesday)
    return org, manager, parent, family, child, canteen, pending


@pytest.mark.parametrize("width", WIDTHS)
def test_the_staff_activity_pages_are_accessible(page, live_server, setting, width):
    _org, manager, _parent, family, child, canteen, pending = setting
    activity = canteen.activity
    validated = Enrollment.objects.get(status=EnrollmentStatus.VALIDATED)
    sign_in_browser(page, live_server, manager)
    for name, path in [
        ("catalogue", "/demo/gestion/activites/"),
        ("activity", f"/demo/gestion/activites/{activity.pk}/?mois=2026-11"),
        ("activity form", f"/demo/gestion/activites/activite/{activity.pk}/"),
        ("unit form", f"/demo/gestion/activites/{activity.pk}/unite/nouveau/"),
        ("period form", f"/demo/gestion/activites/{activity.pk}/periode/nouveau/"),
        ("tariffs", f"/demo/gestion/activites/{activity.pk}/tarifs/"),
        (
            "tariff form",
            f"/demo/gestion/activites/{activity.pk}/tarifs/{activity.units.first().pk}/nouveau/",
        ),
        ("closure form", "/demo/gestion/activites/fermeture/nouveau/"),
        ("enrollments", "/demo/gestion/inscriptions/"),
        ("enrollment", f"/demo/gestion/inscriptions/{pending.pk}/"),
        ("validated enrollment", f"/demo/gestion/inscriptions/{validated.pk}/"),
        ("class enrollment", "/demo/gestion/inscriptions/classe/"),
        (
            "class enrollment preview",
            f"/demo/gestion/inscriptions/classe/?period={canteen.pk}&group={child.school_id}:CE1",
        ),
        (
            "enroll a child",
            f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/inscrire/?periode={canteen.pk}",
        ),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_family_activity_pages_are_accessible(page, live_server, setting, width):
    _org, _manager, parent, _family, child, canteen, _pending = setting
    activity = canteen.activity
    sign_in_browser(page, live_server, parent)
    for name, path in [
        ("my enrollments", "/demo/famille/inscriptions/"),
        (
            "new enrollment",
            f"/demo/famille/inscriptions/nouvelle/?enfant={child.pk}"
            f"&structure={activity.facility_id}&type={activity.activity_type_id}"
            f"&activite={activity.pk}&periode={canteen.pk}",
        ),
        ("calendar", "/demo/famille/calendrier/?mois=2026-12"),
        ("calendar with a closure", "/demo/famille/calendrier/?mois=2027-02"),
        ("child with enrollments", f"/demo/famille/enfants/{child.pk}/"),
        ("my requests with enrollments", "/demo/famille/demandes/?periode=tout"),
    ]:
        check_page(page, live_server.url + path, name=name, width=width)


def test_a_family_chooses_facility_type_activity_and_period_step_by_step(
    page, live_server, setting
):
    _org, _manager, parent, _family, child, _canteen, _pending = setting
    sign_in_browser(page, live_server, parent)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/demo/famille/inscriptions/nouvelle/?enfant={child.pk}")
    for label, option in [
        ("Structure", {"label": "École Jules Ferry – périscolaire"}),
        ("Type d'activité", {"label": "Restauration"}),
        ("Activité", {"label": "ALSH mercredi"}),
        ("Période", {"index": 1}),
    ]:
        with page.expect_response(re.compile(r"/inscriptions/nouvelle/")):
            page.get_by_label(label, exact=True).select_option(**option)
        # The answer is swapped in: let htmx finish before the next choice.
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added')"
        )
    # The later of today and the period's start.
    start = max(timezone.localdate(), date(2026, 9, 1))
    expect(page.get_by_label("Du", exact=True)).to_have_value(start.isoformat())
    page.get_by_role("button", name="Envoyer la demande d'inscription").click()
    expect(page.get_by_role("alert")).to_contain_text("déjà inscrit")


def test_the_calendar_reads_each_day_out(page, live_server, setting):
    _org, _manager, parent, _family, _child, _canteen, _pending = setting
    sign_in_browser(page, live_server, parent)
    page.goto(f"{live_server.url}/demo/famille/calendrier/?mois=2027-03")
    expect(page.get_by_text("lundi 29 mars, Repas : jour férié").first).to_be_attached()
    expect(page.get_by_role("region", name=re.compile("Calendrier de Louise"))).to_be_visible()


def test_choosing_the_activity_offers_its_schools_classes(page, live_server, setting):
    org, manager, _parent, family, child, canteen, _pending = setting
    other = SchoolFactory(organisation=org, name="École maternelle Les Tilleuls")
    ChildFactory(organisation=org, school=other, school_class="GS", families=[family])
    canteen.activity.facility.school = child.school
    canteen.activity.facility.save()
    sign_in_browser(page, live_server, manager)
    page.goto(f"{live_server.url}/demo/gestion/inscriptions/classe/")
    classes = page.get_by_label("Classe", exact=True)
    expect(classes.locator("option", has_text="GS – École maternelle Les Tilleuls")).to_have_count(
        1
    )
    with page.expect_response(re.compile(r"/inscriptions/classe/")):
        page.get_by_label("Activité et période").select_option(
            label=f"{canteen.activity.name} – {canteen.name}"
        )
    expect(classes.locator("option", has_text="Les Tilleuls")).to_have_count(0)
    classes.select_option(label="CE1 – École Jules Ferry")
    page.get_by_role("button", name="Voir les enfants").click()
    expect(page.get_by_text("Louise DUPONT · CE1 : pas d'inscription")).to_be_visible()
