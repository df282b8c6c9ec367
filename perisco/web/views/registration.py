"""Self-registration of a new family, in four steps (seed 003): guardians, address,
children, review. The answers wait in the session until the last step."""

from datetime import date

from django.contrib import messages
from django.forms import formset_factory
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from perisco.accounts.tokens import Purpose, read_token
from perisco.core.errors import DomainError
from perisco.core.models import School
from perisco.core.urls import org_reverse
from perisco.families.forms import (
    RegistrationChildForm,
    RegistrationGuardianForm,
    RegistrationHouseholdForm,
    RegistrationSecondGuardianForm,
)
from perisco.families.models import Document, DocumentKind
from perisco.families.services import registration_confirm, registration_submit
from perisco.web.access import home_url, public
from perisco.web.forms import NewPasswordForm
from perisco.web.ratelimits import email_rate_limit, limited_message, limited_response
from perisco.web.views.auth import finish_login

STEPS = (1, 2, 3, 4)


def _session_key(request) -> str:
    return f"registration-{request.organisation.pk}"


def _state(request) -> dict:
    return request.session.get(_session_key(request), {})


def _save(request, **parts) -> None:
    request.session[_session_key(request)] = {**_state(request), **parts}


def _jsonable(data: dict) -> dict:
    values = {}
    for key, value in data.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, School):
            value = value.pk
        values[key] = value
    return values


def _children_initial(state: dict) -> list[dict]:
    children = []
    for child in state.get("children", []):
        children.append({**child, "birth_date": date.fromisoformat(child["birth_date"])})
    return children


@public
@never_cache
def registration(request: HttpRequest, step: int = 1) -> HttpResponse:
    if request.organisation is None or step not in STEPS:
        raise Http404
    if request.user.is_authenticated:
        return redirect(home_url(request.user))
    state = _state(request)
    # Each step needs the ones before it.
    needed = {2: "guardians", 3: "household", 4: "children"}
    for earlier in range(2, step + 1):
        if needed[earlier] not in state:
            return redirect(org_reverse(request.organisation, "web:registration", step=earlier - 1))
    data = request.POST if request.method == "POST" else None
    context: dict = {"step": step, "steps": STEPS}
    if step == 1:
        guardians = state.get("guardians", [])
        first = RegistrationGuardianForm(
            data, prefix="g1", initial=guardians[0] if guardians else None
        )
        second = RegistrationSecondGuardianForm(
            data, prefix="g2", initial=guardians[1] if len(guardians) > 1 else None
        )
        if data is not None and first.is_valid() and second.is_valid():
            people = [first.cleaned_data]
            if second.cleaned_data.get("last_name"):
                people.append(second.cleaned_data)
            _save(request, guardians=people)
            return redirect(org_reverse(request.organisation, "web:registration", step=2))
        context.update(first=first, second=second)
    elif step == 2:
        form = RegistrationHouseholdForm(data, initial=state.get("household"))
        if data is not None and form.is_valid():
            _save(request, household=form.cleaned_data)
            return redirect(org_reverse(request.organisation, "web:registration", step=3))
        context.update(form=form)
    elif step == 3:
        # "Add another child" saves what is there and comes back with one more empty form.
        formset_class = formset_factory(
            RegistrationChildForm,
            extra=1 if "plus" in request.GET else 0,
            min_num=1,
            validate_min=True,
            max_num=8,
            validate_max=True,
        )
        formset = formset_class(data, initial=_children_initial(state), prefix="children")
        if data is not None and formset.is_valid():
            children = [_jsonable(f.cleaned_data) for f in formset.forms if f.cleaned_data]
            _save(request, children=children)
            if "add" in data:
                url = org_reverse(request.organisation, "web:registration", step=3)
                return redirect(f"{url}?plus=1")
            return redirect(org_reverse(request.organisation, "web:registration", step=4))
        context.update(formset=formset)
    else:
        rules = Document.objects.filter(kind=DocumentKind.RULES, is_public=True).first()
        schools = dict(School.objects.values_list("pk", "name"))
        if data is not None:
            if data.get("rules_accepted") != "on":
                context["error"] = _("Tick the box to accept the rules before sending.")
            else:
                children = [
                    {
                        **{k: v for k, v in c.items() if k != "school"},
                        "birth_date": date.fromisoformat(c["birth_date"]),
                        "school_id": c.get("school"),
                    }
                    for c in state["children"]
                ]
                email = state["guardians"][0]["email"]
                limited = email_rate_limit(request, purpose="registration", address=email)
                if limited is not None:
                    context.update(state=state, rules=rules, schools=schools)
                    context["limited"] = limited_message(limited)
                    return limited_response(
                        render(request, "web/registration_4.html", context), limited
                    )
                registration_submit(
                    organisation=request.organisation,
                    guardians=state["guardians"],
                    household=state["household"],
                    children=children,
                )
                del request.session[_session_key(request)]
                return render(request, "web/registration_sent.html", {"email": email})
        context.update(state=state, rules=rules, schools=schools)
    return render(request, f"web/registration_{step}.html", context)


@public
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def registration_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    found = read_token(token, Purpose.REGISTRATION, request.organisation)
    if found is None:
        return render(request, "web/link_invalid.html", {"purpose": "registration"}, status=400)
    user = found[0]
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration_confirm(user=user, password=form.cleaned_data["new_password1"])
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(org_reverse(request.organisation, "web:login"))
        messages.success(
            request,
            _(
                "Your e-mail address is confirmed and your registration sent to the childhood "
                "service. You will receive an e-mail when it is validated."
            ),
        )
        user.refresh_from_db()
        user.backend = "perisco.accounts.backends.OrganisationEmailBackend"
        return finish_login(request, user, "")
    return render(request, "web/registration_confirm.html", {"form": form, "account": user})
