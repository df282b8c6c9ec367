"""A family's history as staff read it: words for yes/no, names for linked records,
labels for choices; never True, an id or a code."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from perisco.core.tests.factories import SchoolFactory
from perisco.families.history import family_history
from perisco.families.models import RequestKind
from perisco.families.requests import file_edit
from perisco.families.services import guardian_invite
from perisco.families.tests.conftest import contact_values
from perisco.families.tests.factories import FamilyFactory, GuardianFactory


def changes(family) -> dict[str, tuple[str, str]]:
    """The latest change of each field: label → (before, after), in French."""
    latest: dict[str, tuple[str, str]] = {}
    with translation.override("fr"):
        for line in family_history(family, limit=100):
            for label, old, new in line.changes:
                latest.setdefault(label, (old, new))
    return latest


def test_yes_no_values_read_oui_non(family, child, manager):
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.CONTACTS,
        values=contact_values(),
        child=child,
    )
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.COMPLEMENTARY,
        values={"glasses": True},
        child=child,
    )
    seen = changes(family)
    assert seen["Peut venir chercher l'enfant"] == ("—", "Oui")
    assert seen["À appeler en cas d'urgence"] == ("—", "Non")
    assert seen["Porte des lunettes"] == ("Non", "Oui")


def test_a_login_given_to_a_guardian_reads_as_its_name_and_email(
    organisation, manager, django_capture_on_commit_callbacks
):
    guardian = GuardianFactory(family=FamilyFactory(organisation=organisation))
    family = guardian.family
    with django_capture_on_commit_callbacks(execute=True):
        user = guardian_invite(guardian=guardian, actor=manager)
    old, new = changes(family)["Compte de connexion"]
    assert old == "—"
    assert new == f"{user.get_full_name()} ({user.email})"
    assert str(user.pk) != new


def test_choices_and_linked_records_read_as_labels(organisation, family, child, manager):
    school = SchoolFactory(organisation=organisation, name="École Jules Ferry")
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.CHILD,
        values={"school": school.pk, "sex": "M"},
        child=child,
    )
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"civility": "mme", "quality": "mother"},
    )
    seen = changes(family)
    assert seen["École"] == ("—", "École Jules Ferry")
    assert seen["Sexe"] == ("Fille", "Garçon")
    assert seen["Civilité"] == ("—", "Madame")
    assert seen["Lien"] == ("—", "Mère")


def test_the_history_costs_the_same_queries_whatever_the_linked_records(
    organisation, family, child, manager
):
    def new_school() -> None:
        file_edit(
            actor=manager,
            family=family,
            kind=RequestKind.CHILD,
            values={"school": SchoolFactory(organisation=organisation).pk},
            child=child,
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            family_history(family)
        return len(captured)

    new_school()
    before = queries()
    for _ in range(4):
        new_school()
    assert queries() == before
