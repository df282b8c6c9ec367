"""The family file's forms as people read them: the diet question before its options, a
diet combination that means nothing refused with the reason, labels that start with a
capital, and one wording for every empty choice."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from perisco.core.errors import DomainError
from perisco.core.forms import BLANK_CHOICE_LABEL
from perisco.families.kinds import SPECS, field_label
from perisco.families.models import Child, RequestKind
from perisco.families.requests import file_edit, request_submit
from perisco.families.tests.conftest import contact_values


@pytest.fixture
def signed_in(client, parent):
    client.force_login(parent)
    client.cookies["perisco_language"] = "fr"
    return client


def test_the_diet_question_is_the_legend_of_its_options(signed_in, child):
    html = signed_in.get(f"/demo/famille/enfants/{child.pk}/demande/health/").text
    group = re.search(r'<fieldset class="field field--choices">(.*?)</fieldset>', html, re.S)
    assert group is not None
    legend = re.search(r"<legend>(.*?)</legend>", group.group(1)).group(1)
    assert legend == "Régime alimentaire"
    assert group.group(1).index("<legend>") < group.group(1).index('type="checkbox"')
    assert "Végétarien" in group.group(1) and "excluent" not in legend
    assert 'for=""' not in html


@pytest.mark.parametrize(
    "diets",
    [["no_pork", "vegetarian"], ["no_pork", "no_meat"], ["no_meat", "vegetarian"]],
)
def test_diets_that_include_one_another_are_refused_by_the_model(organisation, diets):
    child = Child(organisation=organisation, diets=diets)
    with pytest.raises(ValidationError) as error:
        child.clean_fields(exclude=[f.name for f in Child._meta.fields if f.name != "diets"])
    assert error.value.error_dict["diets"][0].code == "nested_diets"


def test_the_family_form_says_why_pork_and_vegetarian_are_refused(signed_in, child):
    response = signed_in.post(
        f"/demo/famille/enfants/{child.pk}/demande/health/",
        {"diets": ["no_pork", "vegetarian"], "vaccinations_up_to_date": "on"},
    )
    assert response.status_code == 200
    assert (
        "Cochez un seul choix parmi «\u00a0Sans porc\u00a0», «\u00a0Sans viande\u00a0» "
        "et «\u00a0Végétarien\u00a0»" in (response.text.replace("&#x27;", "'"))
    )
    assert response.context["form"].errors["diets"]


def test_the_services_refuse_the_combination_whatever_the_form(parent, family, child, manager):
    for write in (
        lambda: request_submit(
            actor=parent,
            family=family,
            kind=RequestKind.HEALTH,
            values={"diets": ["vegetarian", "no_pork"]},
            child=child,
        ),
        lambda: file_edit(
            actor=manager,
            family=family,
            kind=RequestKind.HEALTH,
            values={"diets": ["vegetarian", "no_pork"]},
            child=child,
        ),
    ):
        with translation.override("en"), pytest.raises(DomainError, match="Tick only one"):
            write()
    child.refresh_from_db()
    assert child.diets == []


def test_a_single_diet_with_a_packed_meal_is_accepted(parent, family, child):
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.HEALTH,
        values={"diets": ["vegetarian", "packed_meal"]},
        child=child,
    )
    assert request.changes["diets"]["after"] == ["vegetarian", "packed_meal"]


def test_every_field_label_starts_with_a_capital():
    with translation.override("fr"):
        for spec in SPECS.values():
            for name in spec.fields:
                label = field_label(spec, name)
                assert label[:1].isupper(), (spec.kind, name, label)
    with translation.override("en"):
        assert field_label(SPECS[RequestKind.CONTACTS], "contacts") == "Authorised persons"


def test_my_requests_shows_authorised_persons_with_a_capital(signed_in, parent, family, child):
    request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.CONTACTS,
        values=contact_values(),
        child=child,
    )
    html = signed_in.get("/demo/famille/demandes/").text
    assert "Personnes autorisées" in html and "personnes autorisées" not in html


def test_the_empty_choice_reads_the_same_in_every_form(signed_in, child):
    """The guardian form (model choices), the child form (a school to pick) and the
    registration's second guardian (choices listed by the form) all say "— Choisir —"."""
    with translation.override("fr"):
        expected = str(BLANK_CHOICE_LABEL)
    assert expected == "— Choisir —"
    pages = [
        signed_in.get("/demo/famille/ma-famille/demande/spouse/").text,
        signed_in.get(f"/demo/famille/enfants/{child.pk}/demande/child/").text,
    ]
    for html in pages:
        blanks = re.findall(r'<option value=""[^>]*>([^<]*)</option>', html)
        assert blanks and set(blanks) == {expected}, blanks
