"""The demo municipalities `make run` shows: same data, same logins, for everyone."""

import hashlib
import random
from base64 import b32encode
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.core.models import Organisation, PublicHolidayRegion, School, SchoolKind
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, FamilyChild, Guardian
from perisco.families.services import family_create

DEMO_PASSWORD = "Perisco-demo-2026"  # noqa: S105 (published demo login)
FAMILIES_PER_ORGANISATION = 20


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    address: str
    postal_code: str
    city: str
    phone: str
    zone: str
    region: str
    schools: tuple[tuple[str, str], ...]


DEMO_ORGANISATIONS = (
    DemoOrganisation(
        slug="demo",
        name="Ville de Démo",
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
    ),
)

STAFF = (
    ("gestion", Role.MANAGER, "Claire", "Martin"),
    ("animation", Role.AGENT, "Karim", "Benali"),
    ("finances", Role.FINANCE, "Sophie", "Laurent"),
    ("admin", Role.ORG_ADMIN, "Nicolas", "Petit"),
)
PLATFORM_ADMIN_EMAIL = "plateforme@perisco.test"

LAST_NAMES = (
    "Dupont",
    "Bernard",
    "Thomas",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupuis",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
)
MOTHER_NAMES = ("Jeanne", "Marie", "Camille", "Julie", "Sarah", "Inès", "Laura", "Emma", "Léa")
FATHER_NAMES = ("Jean", "Thomas", "Nicolas", "Julien", "Mehdi", "Antoine", "Paul", "Hugo")
GIRL_NAMES = ("Louise", "Alice", "Chloé", "Jade", "Zoé", "Lina", "Rose", "Anna", "Mila", "Nina")
BOY_NAMES = ("Gabriel", "Léo", "Raphaël", "Louis", "Noah", "Arthur", "Adam", "Tao", "Noa", "Sacha")
# Class by age on 1 September of the 2026-2027 school year.
CLASSES = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}
SCHOOL_YEAR_START = date(2026, 9, 1)


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
            "address": spec.address,
            "postal_code": spec.postal_code,
            "city": spec.city,
            "phone": spec.phone,
            "email": f"enfance@{spec.slug}.test",
            "opening_hours": "Lundi, mardi, jeudi, vendredi : 8 h 30 – 12 h et 13 h 30 – 17 h\n"
            "Mercredi : 8 h 30 – 12 h",
            "school_holiday_zone": spec.zone,
            "public_holiday_region": spec.region,
            "is_active": True,
        },
    )
    return organisation


def _families(organisation: Organisation, spec: DemoOrganisation, schools: dict) -> None:
    nursery = [s for s in schools.values() if s.kind != SchoolKind.ELEMENTARY]
    elementary = [s for s in schools.values() if s.kind != SchoolKind.NURSERY]
    shared_child = None
    for index in range(FAMILIES_PER_ORGANISATION):
        # One generator per family: a family already there does not shift the others.
        rng = random.Random(f"perisco-demo-{spec.slug}-{index}")  # noqa: S311 (reproducible)
        last_name = LAST_NAMES[index]
        mother, father = rng.choice(MOTHER_NAMES), rng.choice(FATHER_NAMES)
        first_email = (
            f"parent@{spec.slug}.test"
            if index == 0
            else (f"{slugify(mother)}.{slugify(last_name)}@{spec.slug}.test")
        )
        if Guardian.objects.filter(email=first_email).exists():
            continue
        family = family_create(organisation=organisation, name=last_name.upper())
        guardians = [
            Guardian.objects.create(
                organisation=organisation,
                family=family,
                civility="mme",
                first_name=mother,
                last_name=last_name,
                email=first_email,
                mobile_phone=f"06 12 34 {index:02d} 01",
            )
        ]
        if index % 4 != 3:  # some single-parent households
            guardians.append(
                Guardian.objects.create(
                    organisation=organisation,
                    family=family,
                    civility="m",
                    first_name=father,
                    last_name=last_name,
                    email=f"{slugify(father)}.{slugify(last_name)}@{spec.slug}.test"
                    if index % 2
                    else "",
                    mobile_phone=f"06 12 34 {index:02d} 02",
                )
            )
        if index == 0:
            guardians[0].user = _user(organisation, first_email, Role.GUARDIAN, mother, last_name)
            guardians[0].save(update_fields=["user"])
        elif index == 1:
            # Invited, password not chosen yet: shows as such in "Family accounts".
            guardians[0].user = User.all_objects.create_user(
                first_email,
                organisation=organisation,
                role=Role.GUARDIAN,
                first_name=mother,
                last_name=last_name,
            )
            guardians[0].save(update_fields=["user"])
        for number in range(1 + (index % 3 == 0) + (index % 7 == 0)):
            age = rng.randint(3, 10)
            girl = rng.random() < 0.5
            child = Child.objects.create(
                organisation=organisation,
                first_name=rng.choice(GIRL_NAMES if girl else BOY_NAMES),
                last_name=last_name,
                birth_date=date(
                    SCHOOL_YEAR_START.year - age, rng.randint(1, 8), rng.randint(1, 28)
                ),
                sex="F" if girl else "M",
                school=rng.choice(nursery if age < 6 else elementary),
                school_class=CLASSES[age],
            )
            FamilyChild.objects.create(organisation=organisation, family=family, child=child)
            if index == 4 and number == 0:
                shared_child = child
        if index == 5 and shared_child is not None:
            # Separated parents: the child of family 5 also lives in this household.
            FamilyChild.objects.create(organisation=organisation, family=family, child=shared_child)


@transaction.atomic
def seed_demo() -> list[tuple[str, str, str]]:
    """Create or refresh the demo; returns (site, login, role) rows to print."""
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
            _families(organisation, spec, schools)
            logins.append((spec.slug, f"parent@{spec.slug}.test", Role.GUARDIAN))
    _user(None, PLATFORM_ADMIN_EMAIL, Role.PLATFORM_ADMIN, "Paula", "Plateforme", totp=True)
    logins.append(("plateforme", PLATFORM_ADMIN_EMAIL, Role.PLATFORM_ADMIN))
    return logins
