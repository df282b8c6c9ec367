""" "Messages": the family's received and sent threads and its trash, a thread with its
answers, writing to the organisation (SPEC §7, seed 001)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.selectors import access_family, family_children
from perisco.inbox.forms import ReplyForm, ThreadForm
from perisco.inbox.selectors import (
    access_family_thread,
    family_threads,
    family_unread_counts,
    thread_messages,
)
from perisco.inbox.services import (
    message_reply,
    thread_mark_read,
    thread_restore,
    thread_start_by_family,
    thread_trash,
)
from perisco.web.access import require_permission

# The boxes in the address ("?boite=envoyes"), as seed 001 names them.
BOXES = {"recus": "received", "envoyes": "sent", "corbeille": "trash"}
PAGE_SIZE = 20


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@require_permission(Permission.USE_PORTAL)
def inbox(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    slug = request.GET.get("boite", "recus")
    box = BOXES.get(slug, "received")
    page = Paginator(family_threads(family, box), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/messages.html",
        {
            "page": page,
            "box": box,
            "page_query": f"boite={slug if slug in BOXES else 'recus'}",
            "unread": family_unread_counts(family),
        },
    )


@require_permission(Permission.USE_PORTAL)
def message_new(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    form = ThreadForm(request.POST or None, request.FILES or None, children=family_children(family))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = thread_start_by_family(
                actor=request.user,
                family=family,
                subject=data["subject"],
                body=data["body"],
                child=data["child"],
                facility=data["facility"],
                uploads=data["files"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your message is sent to the childhood service. Its answer will arrive "
                    "here, in your messages."
                ),
            )
            return redirect(org_reverse(request.organisation, "portal:thread", pk=thread.pk))
    return render(request, "portal/message_new.html", {"form": form})


@require_permission(Permission.USE_PORTAL)
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    conversation = access_family_thread(family, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_reply(
                actor=request.user,
                thread=conversation,
                body=form.cleaned_data["body"],
                from_family=True,
                uploads=form.cleaned_data["files"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Your answer is sent to the childhood service."))
            return redirect(org_reverse(request.organisation, "portal:thread", pk=pk))
    thread_mark_read(thread=conversation, by_family=True)
    return render(
        request,
        "portal/thread.html",
        {"thread": conversation, "messages_list": thread_messages(conversation), "form": form},
    )


@require_POST
@require_permission(Permission.USE_PORTAL)
def thread_to_trash(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    thread_trash(actor=request.user, thread=access_family_thread(family, pk))
    messages.success(
        request,
        _(
            "The conversation is in the trash. It comes back to your messages if the "
            "childhood service writes in it again."
        ),
    )
    return redirect(org_reverse(request.organisation, "portal:messages"))


@require_POST
@require_permission(Permission.USE_PORTAL)
def thread_from_trash(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    thread_restore(actor=request.user, thread=access_family_thread(family, pk))
    messages.success(request, _("The conversation is back in your messages."))
    return redirect(org_reverse(request.organisation, "portal:thread", pk=pk))
