"""Model forms over tenant data: choice fields whose options are scoped to the
organisation of the request; the one wording of an empty choice."""

from django import forms
from django.db import models
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _

# The empty option of every choice list, model fields and ours alike (Django's own reads
# "---------" or "- Select an option -" depending on the field): set as Django's default in
# `CoreConfig.ready`, and used by the forms that list their choices themselves.
BLANK_CHOICE_LABEL = _("— Choose —")
BLANK_CHOICE = ("", BLANK_CHOICE_LABEL)


def _scoped_formfield(db_field: models.Field, **kwargs):
    # Built at import, outside any organisation: start empty (django-scopes would refuse
    # `.all()`); the form fills the options when it is instantiated in a request.
    if isinstance(db_field, (models.ForeignKey, models.ManyToManyField)):
        kwargs.setdefault("queryset", db_field.related_model._default_manager.none())
    return db_field.formfield(**kwargs)


class _ScopedModelFormMetaclass(ModelFormMetaclass):
    def __new__(mcs, name, bases, attrs):
        meta = attrs.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(_scoped_formfield)
        return super().__new__(mcs, name, bases, attrs)


class ScopedModelForm(forms.ModelForm, metaclass=_ScopedModelFormMetaclass):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                field.queryset = field.queryset.model._default_manager.all()
