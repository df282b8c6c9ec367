import pytest
from django.core.management import CommandError, call_command

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.core.models import Organisation
from perisco.demo.seed import DEMO_PASSWORD
from perisco.families.demo import FAMILIES_PER_ORGANISATION
from perisco.families.models import Child, Family, Guardian

NAMED_LOGINS = [
    ("demo", "parent@demo.test", Role.GUARDIAN),
    ("demo", "gestion@demo.test", Role.MANAGER),
    ("demo", "animation@demo.test", Role.AGENT),
    ("demo", "finances@demo.test", Role.FINANCE),
    ("demo", "admin@demo.test", Role.ORG_ADMIN),
    ("val", "parent@val.test", Role.GUARDIAN),
]


@pytest.fixture
def seeded(db, capsys):
    call_command("seed_demo")
    return capsys.readouterr().out


def test_the_demo_has_two_organisations_with_the_named_logins(seeded):
    assert set(Organisation.objects.values_list("slug", flat=True)) == {"demo", "val"}
    for slug, email, role in NAMED_LOGINS:
        user = User.all_objects.get(organisation__slug=slug, email=email)
        assert user.role == role
        assert user.check_password(DEMO_PASSWORD)
        assert email in seeded
    assert DEMO_PASSWORD in seeded
    assert "two-factor secret" in seeded


def test_each_organisation_has_schools_staff_of_every_role_and_twenty_families(seeded):
    for organisation in Organisation.objects.all():
        families = Family.objects.filter(organisation=organisation)
        assert families.filter(status="active").count() == FAMILIES_PER_ORGANISATION
        assert families.filter(status="pending").count() == 1  # a self-registration
        assert Child.objects.filter(organisation=organisation).count() >= FAMILIES_PER_ORGANISATION
        roles = set(
            User.all_objects.filter(organisation=organisation).values_list("role", flat=True)
        )
        assert {Role.GUARDIAN, Role.AGENT, Role.MANAGER, Role.FINANCE, Role.ORG_ADMIN} <= roles
    parent = Guardian.objects.get(email="parent@demo.test")
    assert parent.family.children.exists()


def test_a_child_lives_in_two_households(seeded):
    assert any(child.families.count() == 2 for child in Child.objects.all())


def test_seeding_twice_changes_nothing(seeded):
    counts = [m.objects.count() for m in (Organisation, Family, Child, Guardian)]
    users = User.all_objects.count()
    call_command("seed_demo")
    assert [m.objects.count() for m in (Organisation, Family, Child, Guardian)] == counts
    assert User.all_objects.count() == users


def test_the_demo_guardian_has_reminders_and_a_calendar_address_kept_on_a_re_run(seeded, client):
    from perisco.bookings.models import CalendarFeed

    guardian = Guardian.objects.get(email="parent@demo.test")
    assert guardian.booking_reminders
    token = CalendarFeed.objects.get(guardian=guardian).token
    assert client.get(f"/demo/calendrier/{token}.ics").status_code == 200
    call_command("seed_demo")
    assert CalendarFeed.objects.get(guardian=guardian).token == token


@pytest.mark.parametrize("email", ["gestion@demo.test", "parent@demo.test"])
def test_seeding_restores_a_changed_demo_password(seeded, email):
    user = User.all_objects.get(email=email)
    user.set_password("Autre-chose-99")
    user.save()
    call_command("seed_demo")
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_the_demo_logins_work_through_the_login_page(seeded, client):
    response = client.post(
        "/demo/connexion/", {"email": "parent@demo.test", "password": DEMO_PASSWORD}
    )
    assert response["Location"] == "/demo/famille/"
    assert "Mes enfants" in client.get("/demo/famille/").text
    client.logout()
    response = client.post(
        "/demo/connexion/", {"email": "gestion@demo.test", "password": DEMO_PASSWORD}
    )
    assert response["Location"] == "/demo/gestion/"


def test_seed_demo_refuses_production_settings(db, settings):
    settings.PERISCO_ENV = "production"
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Organisation.objects.exists()


def test_the_printed_links_follow_the_address_given(db, capsys):
    call_command("seed_demo", base_url="http://192.0.2.10:8080/")
    out = capsys.readouterr().out
    assert "http://192.0.2.10:8080/demo/connexion/" in out
    assert "127.0.0.1" not in out


def test_the_printed_links_follow_the_setting(db, capsys, settings):
    settings.PERISCO_BASE_URL = "https://perisco.example.org"
    call_command("seed_demo")
    assert "https://perisco.example.org/val/connexion/" in capsys.readouterr().out


def test_one_demo_organisation_shows_its_own_colour(seeded, client):
    val = Organisation.objects.get(slug="val")
    assert val.theme_colour == "#0b6e4f"
    assert "--c-primary: #0b6e4f" in client.get("/val/connexion/").text
    assert "--c-primary" not in client.get("/demo/connexion/").text


def test_demo_enrollments_of_a_schools_activity_are_its_pupils(seeded):
    from perisco.activities.models import Enrollment

    enrollments = Enrollment.objects.select_related("child", "activity__facility")
    assert enrollments.filter(activity__facility__school__isnull=False).exists()
    for enrollment in enrollments:
        school_id = enrollment.activity.facility.school_id
        assert school_id in (None, enrollment.child.school_id), enrollment


def test_the_demo_has_bookings_a_full_day_absences_and_a_request(seeded):
    from datetime import timedelta

    from django.utils import timezone

    from perisco.bookings.models import Absence, Booking
    from perisco.bookings.services import Change, Result, bookings_apply
    from perisco.families.models import Family

    demo = Organisation.objects.get(slug="demo")
    bookings = Booking.objects.filter(organisation=demo)
    assert bookings.filter(state="confirmed").count() > 500
    assert bookings.filter(state="waiting").exists()  # the full Wednesday
    assert bookings.filter(state="requested").exists()  # holiday centre, manual
    reviews = set(Absence.objects.filter(organisation=demo).values_list("review", flat=True))
    assert reviews == {"excused", "to_review"}
    # The demo guardian can book next week's free Friday and cancel a booked day.
    parent = User.all_objects.get(organisation=demo, email="parent@demo.test")
    family = Family.objects.get(guardians__user=parent)
    freed = bookings.filter(
        family=family, state="cancelled", day__gt=timezone.localdate(), absence__isnull=True
    ).first()
    assert freed is not None and freed.day - timezone.localdate() < timedelta(days=14)
    report = bookings_apply(
        actor=parent, family=family, changes=[Change(freed.child_id, freed.unit_id, freed.day)]
    )
    assert report.outcomes[0].result == Result.BOOKED
