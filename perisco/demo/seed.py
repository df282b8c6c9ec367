"""The demo municipalities `make run` shows: same data, same logins, for everyone."""

import hashlib
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.activities.demo import demo_activities
from perisco.billing.demo import demo_invoices, demo_tariffs
from perisco.bookings.demo import demo_bookings, demo_reminders_and_calendar_feed
from perisco.core.models import Organisation, PublicHolidayRegion, School, SchoolKind
from perisco.core.scoping import organisation_scope
from perisco.families.demo import (
    demo_family_files,
    demo_published_documents,
    demo_requests,
    demo_settings,
)
from perisco.inbox.demo import demo_messages
from perisco.messaging.services import emails_suppressed

DEMO_PASSWORD = "Perisco-demo-2026"  # noqa: S105 (published demo login)


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    name_with_de: str
    address: str
    postal_code: str
    city: str
    phone: str
    zone: str
    region: str
    schools: tuple[tuple[str, str], ...]
    brand_colour: str = ""  # empty: Périsco's own blue


DEMO_ORGANISATIONS = (
    DemoOrganisation(
        slug="demo",
        name="Ville de Démo",
        name_with_de="de la Ville de Démo",
        address="Hôtel de ville, 1 place de la République",
        postal_code="64110",
        city="Démo-sur-Gave",
        phone="05 59 00 00 00",
        zone="A",
        region=PublicHolidayRegion.METROPOLE,
        schools=(
            ("École maternelle Les Tilleuls", SchoolKind.NURSERY),
            ("École élémentaire Louis Barthou", SchoolKind.ELEMENTARY),
            ("École primaire Jules Ferry", SchoolKind.PRIMARY),
        ),
    ),
    DemoOrganisation(
        slug="val",
        name="Communauté de communes du Val",
        name_with_de="de la Communauté de communes du Val",
        address="2 rue des Vergers",
        postal_code="57000",
        city="Val-sur-Moselle",
        phone="03 87 00 00 00",
        zone="B",
        region=PublicHolidayRegion.ALSACE_MOSELLE,
        schools=(
            ("École maternelle des Vergers", SchoolKind.NURSERY),
            ("École primaire du Val", SchoolKind.PRIMARY),
        ),
        brand_colour="#0b6e4f",  # shows that each organisation may have its own colour
    ),
)

STAFF = (
    ("gestion", Role.MANAGER, "Claire", "Martin"),
    ("animation", Role.AGENT, "Karim", "Benali"),
    ("finances", Role.FINANCE, "Sophie", "Laurent"),
    ("admin", Role.ORG_ADMIN, "Nicolas", "Petit"),
)
PLATFORM_ADMIN_EMAIL = "plateforme@perisco.test"


def totp_key(email: str) -> str:
    """A fixed secret per demo login, so the printed code works on every machine."""
    return hashlib.sha256(f"perisco-demo-totp:{email}".encode()).hexdigest()[:40]


def totp_secret_base32(email: str) -> str:
    return b32encode(bytes.fromhex(totp_key(email))).decode()


def _user(organisation, email, role, first_name, last_name, *, totp=False) -> User:
    user = User.all_objects.filter(organisation=organisation, email=email).first()
    if user is None:
        user = User.all_objects.create_user(
            email,
            DEMO_PASSWORD,
            organisation=organisation,
            role=role,
            first_name=first_name,
            last_name=last_name,
        )
    elif not user.check_password(DEMO_PASSWORD) or not user.is_active or user.role != role:
        user.set_password(DEMO_PASSWORD)
        user.is_active, user.role, user.must_change_password = True, role, False
        user.save()
    if totp:
        TOTPDevice.objects.update_or_create(
            user=user,
            name="demo",
            defaults={"key": totp_key(email), "confirmed": True, "last_t": -1},
        )
    return user


def _organisation(spec: DemoOrganisation) -> Organisation:
    organisation, _created = Organisation.objects.update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "name_with_de": spec.name_with_de,
            "address": spec.address,
            "postal_code": spec.postal_code,
            "city": spec.city,
            "phone": spec.phone,
            "email": f"enfance@{spec.slug}.test",
            "opening_hours": "Lundi, mardi, jeudi, vendredi : 8 h 30 – 12 h et 13 h 30 – 17 h\n"
            "Mercredi : 8 h 30 – 12 h",
            "publication_director": f"Dominique Lefèvre, maire ({spec.city})",
            "school_holiday_zone": spec.zone,
            "public_holiday_region": spec.region,
            "is_active": True,
            "brand_colour": spec.brand_colour,
        },
    )
    return organisation


@transaction.atomic
def seed_demo() -> list[tuple[str, str, str]]:
    """Create or refresh the demo; returns (site, login, role) rows to print. Nobody is
    e-mailed about the demo's requests."""
    with emails_suppressed():
        return _seed()


def _seed() -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []
    for spec in DEMO_ORGANISATIONS:
        organisation = _organisation(spec)
        with organisation_scope(organisation):
            schools = {}
            for name, kind in spec.schools:
                schools[name], _created = School.objects.get_or_create(
                    organisation=organisation, name=name, defaults={"kind": kind}
                )
            for prefix, role, first_name, last_name in STAFF:
                email = f"{prefix}@{spec.slug}.test"
                _user(organisation, email, role, first_name, last_name, totp=role == Role.ORG_ADMIN)
                logins.append((spec.slug, email, role))
            created = demo_family_files(
                organisation,
                spec.slug,
                schools,
                login=lambda email, first, last, org=organisation: _user(
                    org, email, Role.GUARDIAN, first, last
                ),
            )
            # On a re-run, the demo guardian's password comes back too.
            _user(organisation, f"parent@{spec.slug}.test", Role.GUARDIAN, "", "")
            manager = User.all_objects.get(
                organisation=organisation, email=f"gestion@{spec.slug}.test"
            )
            demo_published_documents(organisation, manager)
            demo_settings(organisation)
            demo_requests(created, manager)
            demo_activities(organisation, schools, manager)
            demo_tariffs(organisation, manager)
            demo_bookings(organisation, manager)
            demo_reminders_and_calendar_feed(organisation)
            demo_invoices(organisation, manager)
            demo_messages(organisation, manager, spec.slug)
            logins.append((spec.slug, f"parent@{spec.slug}.test", Role.GUARDIAN))
    _user(None, PLATFORM_ADMIN_EMAIL, Role.PLATFORM_ADMIN, "Paula", "Plateforme", totp=True)
    logins.append(("plateforme", PLATFORM_ADMIN_EMAIL, Role.PLATFORM_ADMIN))
    return logins
