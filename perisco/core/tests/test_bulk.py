import gc
import threading

from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.core.bulk import collector_paused
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope
from perisco.families.models import Family
from perisco.families.tests.factories import FamilyFactory


def test_any_of_finds_the_rows_among_many_ids_with_one_parameter(organisation):
    families = FamilyFactory.create_batch(3, organisation=organisation)
    wanted = [families[0].pk, families[2].pk, *range(10**6, 10**6 + 5000)]
    with organisation_scope(organisation), CaptureQueriesContext(connection) as queries:
        found = set(Family.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
        # On a foreign key too, where Django looks up lookups differently.
        related = list(
            Family.objects.filter(organisation_id__any_of=[organisation.pk]).values_list(
                "pk", flat=True
            )
        )
    assert found == {families[0].pk, families[2].pk}
    assert sorted(related) == sorted(f.pk for f in families)
    if connection.vendor == "postgresql":  # one array, not 5,002 placeholders
        assert "= ANY(" in queries[0]["sql"]
        assert queries[0]["sql"].count("%s") <= 3


def test_any_of_an_empty_list_finds_nothing(organisation):
    FamilyFactory(organisation=organisation)
    with organisation_scope(organisation):
        assert not Family.objects.filter(pk__any_of=[]).exists()
    assert Organisation.objects.filter(pk__any_of=[organisation.pk]).get() == organisation


def test_the_collector_is_paused_inside_and_back_after_even_on_error():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with collector_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_pause_inside_another_does_not_restart_the_collector_early():
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_decorating_a_function_pauses_each_call_in_its_thread():
    seen = []

    @collector_paused()
    def work():
        seen.append(gc.isenabled())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    work()
    assert seen == [False, False]
    assert gc.isenabled()
