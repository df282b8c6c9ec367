"""Staff: the children looked after, for the agents of a facility (health and pick-up)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from perisco.accounts.permissions import Permission
from perisco.core.models import School
from perisco.families.selectors import child_care_list
from perisco.web.access import require_permission

PAGE_SIZE = 50


@require_permission(Permission.VIEW_CHILDREN)
def children(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    schools = list(School.objects.order_by("name"))
    chosen = request.GET.get("ecole", "")
    school_id = next((school.pk for school in schools if str(school.pk) == chosen), None)
    page = Paginator(child_care_list(school_id=school_id, search=search), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "search": search, "schools": schools, "school_id": school_id}
    if request.htmx:
        return render(request, "backoffice/children.html#results", context)
    return render(request, "backoffice/children.html", context)
