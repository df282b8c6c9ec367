from django.contrib import messages
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission
from perisco.accounts.services import organisation_create
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.hosting.forms import OrganisationCreateForm
from perisco.web.access import require_permission


@require_permission(Permission.MANAGE_ORGANISATIONS)
def organisations(request: HttpRequest) -> HttpResponse:
    """The organisations hosted here, with account counts, and a form to add one.
    No family data: the operator has no business there."""
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_create(
                actor=request.user,
                **{k: form.cleaned_data[k] for k in ("name", "slug", "email")},
                **{k: form.cleaned_data[k] for k in form.cleaned_data if k.startswith("admin_")},
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(
                request,
                _("%(name)s is created; its administrator received an invitation e-mail.")
                % {"name": organisation.name},
            )
            return redirect("hosting:organisations")
    accounts = (
        User.all_objects.filter(organisation=OuterRef("pk"), is_active=True)
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = Organisation.objects.annotate(accounts=Subquery(accounts)).order_by("name")
    return render(request, "hosting/organisations.html", {"form": form, "organisations": rows})
