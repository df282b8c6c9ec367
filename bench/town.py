"""A town of any size for the benches: families, guardians, children, schools, staff.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench \\
        .venv/bin/python bench/town.py --families 5000

From another bench: `generate_town(families=5000)` (after `import bench.django_setup`).
Names follow French frequencies (a few surnames are very common, many rare), with accents,
hyphens and apostrophes, so searches meet what a real town types. The same seed gives the
same town. An organisation of that slug that already has the families asked is reused.
"""

import argparse
import random
from dataclasses import dataclass
from datetime import date

if __name__ == "__main__":
    import django_setup  # noqa: F401  (run as a script: bench/ is on sys.path)

from django.core.management import call_command
from django.db import transaction
from django.utils.text import slugify

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.core.models import Organisation, School, SchoolKind, SequenceCounter
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, Family, FamilyChild, Guardian, GuardianQuality
from perisco.families.search import families_search_refresh


def _words(text: str) -> list[str]:
    """Names written as text, "_" joining the words of one name ("Le_Gall")."""
    return [word.replace("_", " ") for word in text.split()]


# The most frequent surnames of France first: Zipf-like draws make "Martin" common.
SURNAMES = _words(
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Müller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier "
    "Chevalier François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry "
    "Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer "
    "Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud "
    "Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre "
    "Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey "
    "Leclerc Payet Rolland Leclercq Guillaume Lecomte López Jean Dupuy Guillot Hubert "
    "Berger Carpentier Sánchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher "
    "Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault "
    "Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le_Gall "
    "Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Le_Roux Cousin Germain Breton "
    "Besson Langlois Rémy Le_Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal "
    "Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodríguez Guichard Gillet Étienne "
    "Grondin Poulain Tessier Chevallier Collin Chauvin Da_Silva Bouchet Gay Lemaître Bénard "
    "Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune "
    "Gilbert Lamy Delaunay Pasquier Carlier Laporte N'Diaye D'Almeida Ben_Saïd Hoareau "
    "Nguyen Traoré Diallo Haddad Benali Kaya Öztürk"
)
GIRLS = _words(
    "Louise Jade Ambre Alba Emma Rose Alice Romy Anna Lina Léa Mia Chloé Inès Julia Mila "
    "Léna Zoé Agathe Juliette Iris Lou Nina Jeanne Éva Margaux Maëlle Anaïs Noémie Élodie "
    "Hélène Céline Mélissa Clémence Héloïse Maïssa Aïcha Chaïma Yasmine Salomé Capucine"
)
BOYS = _words(
    "Gabriel Léo Raphaël Louis Noah Jules Arthur Adam Maël Lucas Hugo Sacha Gabin Paul "
    "Nathan Aaron Tom Théo Eden Martin Léon Timothée Noé Gaël Loïc Jérôme Benoît François "
    "Noël Anaël Éliott Mathéo Ismaël Rayan Yanis Mohamed Ethan Timéo Célestin Joël Côme"
)
STREETS = ("rue des Écoles", "avenue de la Gare", "chemin des Vignes", "place du Marché")
SCHOOLS = (
    ("École maternelle Les Tilleuls", SchoolKind.NURSERY),
    ("École maternelle du Centre", SchoolKind.NURSERY),
    ("École élémentaire Louis Pasteur", SchoolKind.ELEMENTARY),
    ("École primaire Jules Ferry", SchoolKind.PRIMARY),
)
CLASSES = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}
BATCH = 1000


@dataclass(frozen=True)
class Town:
    organisation: Organisation
    manager: User
    families: int


def generate_town(*, families: int = 5000, slug: str = "bench", seed: int = 2026) -> Town:
    """An organisation `slug` with `families` families (1 or 2 guardians, 1 to 3 children,
    a few shared by separated parents), its schools and a manager who may sign in with
    `force_login`. Reused as it is when it already holds that many families."""
    organisation, _created = Organisation.objects.get_or_create(
        slug=slug, defaults={"name": f"Ville de {slug.capitalize()}", "city": "Bench-sur-Mer"}
    )
    with organisation_scope(organisation):
        manager = _staff(organisation, slug)
        existing = Family.objects.count()
        if existing and existing != families:
            raise SystemExit(
                f"{slug} already holds {existing} families: use another --slug or database."
            )
        if not existing:
            _populate(organisation, families, random.Random(seed))  # noqa: S311 (reproducible)
    return Town(organisation, manager, families)


def _staff(organisation: Organisation, slug: str) -> User:
    email = f"gestion@{slug}.test"
    user = User.all_objects.filter(organisation=organisation, email=email).first()
    return user or User.all_objects.create_user(
        email, organisation=organisation, role=Role.MANAGER, first_name="Claire", last_name="Bench"
    )


# Zipf-like: "Martin" about 3 % of households, the rarest names a few each.
_SURNAME_WEIGHTS = [1 / (rank + 10) for rank in range(1, len(SURNAMES) + 1)]


def _surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, _SURNAME_WEIGHTS)[0]


@transaction.atomic
def _populate(organisation: Organisation, count: int, rng: random.Random) -> None:
    schools = [
        School.objects.get_or_create(organisation=organisation, name=name, defaults={"kind": kind})[
            0
        ]
        for name, kind in SCHOOLS
    ]
    for start in range(0, count, BATCH):
        _batch(organisation, range(start + 1, min(start + BATCH, count) + 1), schools, rng)
    SequenceCounter.objects.update_or_create(
        organisation=organisation, key="family", defaults={"last_value": count}
    )
    families_search_refresh(Family.objects.all())


def _batch(organisation, numbers: range, schools: list[School], rng: random.Random) -> None:
    surnames = [_surname(rng) for _ in numbers]
    families = Family.objects.bulk_create(
        Family(organisation=organisation, number=f"{n:06d}", name=surname.upper())
        for n, surname in zip(numbers, surnames, strict=True)
    )
    guardians, children, links = [], [], []
    for family, surname in zip(families, surnames, strict=True):
        mother, father = rng.choice(GIRLS), rng.choice(BOYS)
        father_surname = surname if rng.random() < 0.8 else _surname(rng)
        address = {"address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}", "city": "Bench"}
        guardians.append(
            Guardian(
                organisation=organisation,
                family=family,
                rank=1,
                first_name=mother,
                last_name=surname,
                quality=GuardianQuality.MOTHER,
                email=f"{slugify(mother)}.{slugify(surname)}{family.number[-4:]}@exemple.test",
                **address,
            )
        )
        if rng.random() < 0.7:
            guardians.append(
                Guardian(
                    organisation=organisation,
                    family=family,
                    rank=2,
                    first_name=father,
                    last_name=father_surname,
                    quality=GuardianQuality.FATHER,
                    email="" if rng.random() < 0.4 else f"{slugify(father)}@exemple.test",
                    **address,
                )
            )
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
            age = rng.randint(3, 10)
            girl = rng.random() < 0.5
            children.append(
                (
                    family,
                    Child(
                        organisation=organisation,
                        first_name=rng.choice(GIRLS if girl else BOYS),
                        last_name=surname,
                        birth_date=date(2026 - age, rng.randint(1, 8), rng.randint(1, 28)),
                        sex="F" if girl else "M",
                        school=rng.choice(schools),
                        school_class=CLASSES[age],
                    ),
                )
            )
    Guardian.objects.bulk_create(guardians)
    created = Child.objects.bulk_create(child for _family, child in children)
    for (family, _child), child in zip(children, created, strict=True):
        links.append(FamilyChild(organisation=organisation, family=family, child=child))
    # Separated parents: one child in twenty also lives in a second household.
    for (_family, _child), child in zip(children, created, strict=True):
        if rng.random() < 0.05:
            other = rng.choice(families)
            if other.pk != _family.pk:
                links.append(FamilyChild(organisation=organisation, family=other, child=child))
    FamilyChild.objects.bulk_create(links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=5000)
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    town = generate_town(families=options.families, slug=options.slug, seed=options.seed)
    print(f"{town.organisation.slug}: {town.families} families; staff login {town.manager.email}")


if __name__ == "__main__":
    main()
