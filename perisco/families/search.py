"""The staff's family search: every name a family is known by, in one column.

Each family keeps `search_text`: its name and number, its guardians' names and e-mails, its
children's names, lower-cased and without accents. A search looks each typed word up in
that column alone (no join), so its cost does not grow with the words typed; on
PostgreSQL a trigram index (pg_trgm) serves `LIKE '%word%'`, on SQLite a scan of one
column is enough for a town.

The text is rebuilt by the services that change what it holds (`families_search_refresh`):
creating a family or a registration, accepting a request, a direct edit by staff.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import batched

from django.db import models

from perisco.families.models import Child, Family, FamilyChild, Guardian

# Letters NFKD does not decompose, typed as two letters (cœur, Lætitia) or one.
_FOLDED = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "’": "'"})
_CHUNK = 500


def search_normalise(text: str) -> str:
    """ "Élodie LEFÈVRE-Nœl" → "elodie lefevre-noel": what is stored and what is sought."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.translate(_FOLDED)


def search_terms(search: str) -> list[str]:
    """The words of a search, each to be found somewhere in a family's text."""
    return search_normalise(search).split()


def search_text(
    family: tuple[str, str],
    guardians: Iterable[Sequence[str]],
    children: Iterable[Sequence[str]],
) -> str:
    """The text of one family from (name, number), guardians' (first name, last name,
    e-mail) and children's (first name, last name)."""
    parts = [*family]
    for guardian in guardians:
        parts.extend(guardian)
    for child in children:
        parts.extend(child)
    return search_normalise(" ".join(part for part in parts if part))


def families_search_refresh(families: Iterable[Family | int]) -> None:
    """Rebuild the search text of these families (instances or ids) from the database;
    instances given are updated too, so a later `save()` of them keeps the new text.
    Three queries per 500 families, and a write only for the texts that changed."""
    items = list(families)
    given = {f.pk: f for f in items if isinstance(f, Family)}
    ids = sorted({f.pk if isinstance(f, Family) else f for f in items})
    for chunk in batched(ids, _CHUNK):
        rows = Family.objects.filter(pk__in=chunk).values_list(
            "pk", "name", "number", "search_text"
        )
        guardians = defaultdict(list)
        for family_id, *guardian in (
            Guardian.objects.filter(family_id__in=chunk)
            .order_by("rank")
            .values_list("family_id", "first_name", "last_name", "email")
        ):
            guardians[family_id].append(guardian)
        children = defaultdict(list)
        for family_id, *child in (
            FamilyChild.objects.filter(family_id__in=chunk)
            .order_by("pk")
            .values_list("family_id", "child__first_name", "child__last_name")
        ):
            children[family_id].append(child)
        changed = []
        for pk, name, number, stored in rows:
            text = search_text((name, number), guardians[pk], children[pk])
            if pk in given:
                given[pk].search_text = text
            if text != stored:
                changed.append(Family(pk=pk, search_text=text))
        Family.objects.bulk_update(changed, ["search_text"], batch_size=_CHUNK)


# What the search text is made of, per record: a change elsewhere leaves it as it is.
SEARCHED_FIELDS: dict[type[models.Model], set[str]] = {
    Family: {"name", "number"},
    Guardian: {"first_name", "last_name", "email"},
    Child: {"first_name", "last_name"},
}


def family_search_refresh_after(
    *, family: Family, record: models.Model, fields: Iterable[str]
) -> None:
    """After `fields` of `record` changed for `family`: refresh the text of the families
    that hold it (a child of separated parents is in two households)."""
    if not SEARCHED_FIELDS.get(type(record), set()) & set(fields):
        return
    families: list[Family | int] = [family]
    if isinstance(record, Child):
        families += FamilyChild.objects.filter(child=record).values_list("family_id", flat=True)
    families_search_refresh(families)
