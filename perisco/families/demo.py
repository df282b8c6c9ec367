"""Demo family files: complete guardians, quotients, bank details, health records,
authorised persons, documents, and requests of every kind waiting for staff."""

import io
import random
from collections.abc import Callable
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from PIL import Image, ImageDraw
from weasyprint import HTML

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.core.models import Organisation, SchoolKind
from perisco.families.models import (
    AllowanceRegime,
    BankAccount,
    Child,
    ChildContact,
    Diet,
    Document,
    DocumentKind,
    Family,
    FamilyChild,
    FamilyQuotient,
    Guardian,
    GuardianQuality,
    MaritalStatus,
    RequestKind,
    RequestKindSetting,
    SocioProfessionalCategory,
)
from perisco.families.requests import request_accept, request_refuse, request_submit
from perisco.families.search import families_search_refresh
from perisco.families.services import (
    document_upload,
    family_certify,
    family_create,
    registration_confirm,
    registration_submit,
)

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
STREETS = (
    "rue des Écoles",
    "avenue de la Gare",
    "chemin des Vignes",
    "place du Marché",
    "rue Victor-Hugo",
    "impasse des Lilas",
    "boulevard Jean-Jaurès",
)
PROFESSIONS = (
    ("Infirmière", "Hôpital de la Ville", SocioProfessionalCategory.INTERMEDIATE),
    ("Professeur", "Éducation nationale", SocioProfessionalCategory.EXECUTIVE),
    ("Boulanger", "", SocioProfessionalCategory.SELF_EMPLOYED),
    ("Comptable", "Cabinet Martin", SocioProfessionalCategory.INTERMEDIATE),
    ("Agent d'entretien", "Mairie", SocioProfessionalCategory.EMPLOYEE),
    ("Technicien", "Usine du Val", SocioProfessionalCategory.WORKER),
)
# Class by age on 1 September of the 2026-2027 school year.
CLASSES = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}
SCHOOL_YEAR_START = date(2026, 9, 1)
FAMILIES_PER_ORGANISATION = 20
# The family that registered itself can sign in to see its pending registration.
DEMO_REGISTRATION_PASSWORD = "Perisco-demo-2026"  # noqa: S105 (published demo login)


def french_iban(rng: random.Random) -> str:
    """A French IBAN with a valid RIB key and IBAN checksum (fictional account)."""
    bank, branch = f"{rng.randint(10000, 39999)}", f"{rng.randint(0, 99999):05d}"
    account = f"{rng.randint(0, 10**11 - 1):011d}"
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, F=15 R=27
    return f"FR{check:02d}{bban}"


def demo_family_files(
    organisation: Organisation, slug: str, schools: dict, login: Callable[..., User]
) -> list[Family]:
    """Twenty families per organisation; returns those created now (none on a re-run).
    `login(email, first_name, last_name)` gives the first family's guardian a login."""
    nursery = [s for s in schools.values() if s.kind != SchoolKind.ELEMENTARY]
    elementary = [s for s in schools.values() if s.kind != SchoolKind.NURSERY]
    created = []
    shared_child = None
    for index in range(FAMILIES_PER_ORGANISATION):
        # One generator per family: a family already there does not shift the others.
        rng = random.Random(f"perisco-demo-{slug}-{index}")  # noqa: S311 (reproducible)
        last_name = LAST_NAMES[index]
        mother, father = rng.choice(MOTHER_NAMES), rng.choice(FATHER_NAMES)
        first_email = (
            f"parent@{slug}.test"
            if index == 0
            else f"{slugify(mother)}.{slugify(last_name)}@{slug}.test"
        )
        if Guardian.objects.filter(email=first_email).exists():
            if index == 4:
                shared_child = Family.objects.get(guardians__email=first_email).children.first()
            continue
        family = family_create(organisation=organisation, name=last_name)
        couple = index % 4 != 3  # some single-parent households
        family.marital_status = (
            MaritalStatus.SEPARATED
            if index in (4, 5)
            else rng.choice(
                [MaritalStatus.MARRIED, MaritalStatus.CIVIL_UNION, MaritalStatus.COHABITING]
            )
            if couple
            else MaritalStatus.SINGLE
        )
        family.allowance_regime = AllowanceRegime.MSA if index % 9 == 8 else AllowanceRegime.CAF
        family.allowance_number = f"{rng.randint(1000000, 9999999)}"
        family.allowance_holder = f"{mother} {last_name}"
        family.save()
        # A few households live in the next town (holiday draws give residents priority).
        neighbour = index % 5 == 3
        address = {
            "address": f"{rng.randint(1, 80)} {rng.choice(STREETS)}",
            "postal_code": "64230" if neighbour else organisation.postal_code or "64000",
            "city": "Lescar" if neighbour else organisation.city or "Démo",
            "phone_home": f"05 59 12 {index:02d} 00" if index % 3 else "",
        }
        profession, employer, csp = rng.choice(PROFESSIONS)
        if index % 6 == 5:  # looking for work
            profession, employer, csp = "", "", SocioProfessionalCategory.NOT_WORKING
        Guardian.objects.create(
            organisation=organisation,
            family=family,
            rank=1,
            civility="mme",
            first_name=mother,
            last_name=last_name,
            quality=GuardianQuality.MOTHER,
            email=first_email,
            mobile_phone=f"06 12 34 {index:02d} 01",
            profession=profession,
            employer=employer,
            socio_professional_category=csp,
            consent_sms=index % 2 == 0,
            **address,
        )
        main = family.guardians.get(rank=1)
        if index == 0:
            main.user = login(first_email, mother, last_name)
        elif index == 1:
            # Invited, password not chosen yet: shows as such in "Family accounts".
            main.user = User.all_objects.create_user(
                first_email,
                organisation=organisation,
                role=Role.GUARDIAN,
                first_name=mother,
                last_name=last_name,
            )
        main.save(update_fields=["user"])
        if couple:
            profession, employer, csp = rng.choice(PROFESSIONS)
            Guardian.objects.create(
                organisation=organisation,
                family=family,
                rank=2,
                civility="m",
                first_name=father,
                last_name=last_name,
                quality=GuardianQuality.FATHER,
                email=f"{slugify(father)}.{slugify(last_name)}@{slug}.test" if index % 2 else "",
                mobile_phone=f"06 12 34 {index:02d} 02",
                profession=profession,
                employer=employer,
                socio_professional_category=csp,
                **address,
            )
        FamilyQuotient.objects.create(
            organisation=organisation,
            family=family,
            value=rng.randint(350, 1900),
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
        )
        if index % 3 != 2:
            BankAccount.objects.create(
                organisation=organisation,
                family=family,
                holder=f"{mother} {last_name}",
                iban=french_iban(rng),
                bic="CCBPFRPPXXX",
                bank_name="Banque Populaire",
                mandate_reference=f"{slug.upper()}-{family.number}-0001",
                mandate_signed_on=date(2025, 9, 1),
            )
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
                image_rights=rng.random() < 0.8,
                leave_alone=age >= 9 and rng.random() < 0.5,
                diets=rng.choice([[], [], [], [Diet.NO_PORK], [Diet.VEGETARIAN]]),
                allergies="Arachides" if index == 2 and number == 0 else "",
                has_pai=index == 2 and number == 0,
                pai_details="Trousse d'urgence (adrénaline) dans le sac" if index == 2 else "",
                doctor_name=f"Dr {rng.choice(LAST_NAMES)}",
                doctor_phone="05 59 00 11 22",
                last_dtp_vaccination=date(2024, rng.randint(1, 12), 10),
                glasses=rng.random() < 0.15,
            )
            FamilyChild.objects.create(organisation=organisation, family=family, child=child)
            ChildContact.objects.create(
                organisation=organisation,
                child=child,
                first_name=rng.choice(MOTHER_NAMES),
                last_name=rng.choice(LAST_NAMES),
                relationship="grand-mère",
                phone=f"06 98 76 {index:02d} {number:02d}",
            )
            if index == 4 and number == 0:
                shared_child = child
        if index == 5 and shared_child is not None:
            # Separated parents: the child of family 5 also lives in this household.
            FamilyChild.objects.create(organisation=organisation, family=family, child=shared_child)
        if index % 2 and index > 1:
            family_certify(
                actor=None,
                family=family,
                school_year=2026,
                file_up_to_date=True,
                rules_accepted=True,
                data_processing_acknowledged=True,
            )
        created.append(family)
    families_search_refresh(created)
    return created


def _pdf(title: str, text: str) -> SimpleUploadedFile:
    style = "font-family: 'DejaVu Sans'"
    html = f'<h1 style="{style}">{title}</h1><p style="{style}">{text}</p>'
    return SimpleUploadedFile("document.pdf", HTML(string=html).write_pdf())


def _photo(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (240, 240), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 180, 160), fill=(240, 200, 170))
    draw.rectangle((50, 170, 190, 240), fill=(60, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue())


def demo_published_documents(organisation: Organisation, actor: User) -> None:
    published = set(Document.objects.filter(is_published=True).values_list("title", flat=True))
    items = (
        (
            "Règlement intérieur des services périscolaires",
            DocumentKind.RULES,
            True,
            "Réservations et annulations : au plus tard 3 jours ouvrés avant, avant 9 h. "
            "Toute réservation non annulée dans les délais est facturée, sauf absence justifiée.",
        ),
        (
            "Fiche sanitaire de liaison à compléter",
            DocumentKind.FORM,
            False,
            "Imprimez, complétez et déposez ce formulaire au service enfance.",
        ),
        (
            "Menus de la cantine",
            DocumentKind.INFORMATION,
            False,
            "Les menus du mois, élaborés avec une diététicienne.",
        ),
    )
    for title, kind, public, text in items:
        if title not in published:
            document_upload(
                actor=actor,
                organisation=organisation,
                upload=_pdf(title, text),
                kind=kind,
                title=title,
                published=True,
                public=public,
            )


def demo_requests(families: list[Family], manager: User) -> None:
    """Requests of every kind, most pending; for the family of parent@…, some decided."""
    if not families:
        return
    by_index = {f.guardians.get(rank=1).email.split("@")[0]: f for f in families}
    parent_family = by_index.get("parent")
    organisation = families[0].organisation
    others = [f for f in families if f is not parent_family]

    def submit(family, kind, values, child=None, upload=None):
        guardian = family.guardians.get(rank=1)
        return request_submit(
            actor=guardian.user, family=family, kind=kind, values=values, child=child, upload=upload
        )

    if parent_family is not None:
        child = parent_family.children.order_by("birth_date")[0]
        phone = submit(parent_family, RequestKind.GUARDIAN, {"mobile_phone": "06 55 44 33 22"})
        request_accept(actor=manager, request=phone)
        bank = submit(
            parent_family,
            RequestKind.BANK,
            {
                "holder": "Compte joint",
                "iban": french_iban(random.Random(7)),  # noqa: S311
                "bic": "",
                "bank_name": "Banque du Centre",
            },
        )
        request_refuse(
            actor=manager,
            request=bank,
            reason="Merci de joindre un RIB à votre demande de prélèvement.",
        )
        submit(
            parent_family,
            RequestKind.HEALTH,
            {"allergies": "Kiwi", "diets": ["no_pork"]},
            child=child,
        )
        submit(
            parent_family,
            RequestKind.CONTACTS,
            {
                "contacts": [
                    {
                        "first_name": "Odile",
                        "last_name": "Martin",
                        "relationship": "voisine",
                        "phone": "06 11 22 33 44",
                        "can_pick_up": True,
                        "emergency_contact": False,
                    },
                    *[
                        {
                            k: getattr(c, k)
                            for k in (
                                "first_name",
                                "last_name",
                                "relationship",
                                "phone",
                                "can_pick_up",
                                "emergency_contact",
                            )
                        }
                        for c in child.contacts.all()
                    ],
                ]
            },
            child=child,
        )
    if len(others) < 8:
        return
    submit(others[0], RequestKind.GUARDIAN, {"address": "3 rue Neuve", "city": "Démo"})
    # Two pending requests on the same field: the later one supersedes.
    submit(others[1], RequestKind.GUARDIAN, {"mobile_phone": "06 00 00 00 01"})
    submit(others[1], RequestKind.GUARDIAN, {"mobile_phone": "06 00 00 00 02"})
    submit(others[2], RequestKind.SITUATION, {"marital_status": MaritalStatus.MARRIED})
    submit(
        others[3],
        RequestKind.FISCAL,
        {"value": 612, "valid_from": date(2027, 1, 1), "valid_until": date(2027, 12, 31)},
        upload=_pdf("Attestation CAF", "Quotient familial : 612 €"),
    )
    submit(
        others[4],
        RequestKind.NEW_CHILD,
        {
            "first_name": "Lou",
            "last_name": others[4].name.title(),
            "birth_date": date(2023, 3, 14),
            "sex": "F",
            "school": None,
            "school_class": "",
        },
    )
    kid = others[5].children.all()[0]
    submit(others[5], RequestKind.AUTHORISATIONS, {"outings": not kid.outings}, child=kid)
    submit(others[5], RequestKind.PHOTO, {}, child=kid, upload=_photo((200, 225, 240)))
    pupil = others[6].children.all()[0]
    submit(
        others[6],
        RequestKind.CHILD,
        {"school_class": "CM1" if pupil.school_class == "CE2" else "CE2"},
        child=pupil,
    )
    submit(
        others[7],
        RequestKind.COMPLEMENTARY,
        {"glasses": True, "other_needs": "Gaucher"},
        child=others[7].children.first(),
    )
    # A family that registered itself and confirmed its address: awaiting validation.
    registered = registration_submit(
        organisation=organisation,
        guardians=[
            {
                "civility": "mme",
                "first_name": "Amina",
                "last_name": "Benali",
                "quality": GuardianQuality.MOTHER,
                "email": f"amina.benali@{organisation.slug}.test",
                "mobile_phone": "06 77 88 99 00",
            }
        ],
        household={
            "address": "5 rue du Stade",
            "postal_code": organisation.postal_code,
            "city": organisation.city,
            "marital_status": MaritalStatus.SINGLE,
        },
        children=[
            {
                "first_name": "Yanis",
                "last_name": "Benali",
                "birth_date": date(2019, 6, 2),
                "sex": "M",
                "school_class": "CE1",
            }
        ],
    )
    if registered is not None:
        user = User.all_objects.get(email=f"amina.benali@{organisation.slug}.test")
        registration_confirm(user=user, password=DEMO_REGISTRATION_PASSWORD)


def demo_settings(organisation: Organisation) -> None:
    """The Val accepts complementary information without a look, to show the setting."""
    if organisation.slug == "val":
        RequestKindSetting.objects.update_or_create(
            organisation=organisation,
            kind=RequestKind.COMPLEMENTARY,
            defaults={"auto_accept": True},
        )
