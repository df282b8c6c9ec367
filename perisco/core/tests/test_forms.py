"""One wording for an empty choice in every form of the site."""

import importlib
import inspect
from pathlib import Path

from django import forms

from perisco.core.forms import BLANK_CHOICE_LABEL

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDERS = {"", "—", "-", "---------", "- Select an option -"}


def form_classes():
    for path in sorted(ROOT.glob("*/forms.py")):
        module = importlib.import_module(f"perisco.{path.parent.name}.forms")
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                yield value


def test_every_empty_choice_of_every_form_reads_the_same(db):
    """A blank option is either "— Choose —" or says what choosing nothing means (e.g.
    "the whole family"); never a bare dash or Django's defaults."""
    checked = 0
    for form in form_classes():
        for name, field in form.base_fields.items():
            if not isinstance(field, forms.ChoiceField):
                continue
            for value, label in field.choices:
                if value in ("", None):
                    checked += 1
                    assert str(label) == str(BLANK_CHOICE_LABEL) or (
                        str(label).strip() not in PLACEHOLDERS
                    ), (form.__name__, name, label)
    assert checked >= 3
