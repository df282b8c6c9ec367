"""Staff: the inbox of every family's threads (assignment, status, search, reply
templates), writing to a family, broadcasts and announcements (SPEC §7)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.backoffice.telling import family_told
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.selectors import family_children, family_for_staff
from perisco.families.services import family_email_recipients
from perisco.inbox.audiences import audience_family_ids
from perisco.inbox.forms import (
    AnnouncementForm,
    BroadcastForm,
    ReplyForm,
    ReplyTemplateForm,
    ThreadForm,
)
from perisco.inbox.models import Announcement, Broadcast, ReplyTemplate, ThreadStatus
from perisco.inbox.selectors import (
    access_staff_thread,
    broadcast_reach,
    message_agents,
    reply_templates,
    staff_threads,
    thread_messages,
)
from perisco.inbox.services import (
    announcement_delete,
    announcement_save,
    broadcast_send,
    message_reply,
    reply_template_delete,
    reply_template_save,
    thread_assign,
    thread_mark_read,
    thread_set_status,
    thread_start_by_staff,
)
from perisco.web.access import require_permission

PAGE_SIZE = 30
ASSIGNED_FILTERS = ("me", "nobody")


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@require_permission(Permission.MANAGE_MESSAGES)
def inbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("statut", ThreadStatus.OPEN)
    if status not in ThreadStatus.values:
        status = ""
    assigned = request.GET.get("attribue", "")
    if assigned not in ASSIGNED_FILTERS:
        assigned = ""
    search = request.GET.get("q", "").strip()[:200]
    threads = staff_threads(status=status, assigned=assigned, user=request.user, search=search)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/messages.html",
        {
            "page": page,
            "status": status,
            "assigned": assigned,
            "search": search,
            "statuses": ThreadStatus,
            "page_query": urlencode({"statut": status, "attribue": assigned, "q": search}),
        },
    )


@require_permission(Permission.MANAGE_MESSAGES)
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_staff_thread(pk)
    templates = reply_templates()
    chosen = next((t for t in templates if str(t.pk) == request.GET.get("modele")), None)
    form = ReplyForm(
        request.POST or None,
        request.FILES or None,
        initial={"body": chosen.body} if chosen else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            message = message_reply(
                actor=request.user,
                thread=conversation,
                body=form.cleaned_data["body"],
                from_family=False,
                uploads=form.cleaned_data["files"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Your answer is in the family's messages.")
                + " "
                + family_told(message.family_emailed),  # type: ignore[attr-defined]
            )
            return redirect(org_reverse(request.organisation, "backoffice:thread", pk=pk))
    thread_mark_read(thread=conversation, by_family=False)
    return render(
        request,
        "backoffice/thread.html",
        {
            "thread": conversation,
            "messages_list": thread_messages(conversation),
            "form": form,
            "templates": templates,
            "chosen": chosen,
            "agents": message_agents(),
            "statuses": ThreadStatus,
        },
    )


@require_POST
@require_permission(Permission.MANAGE_MESSAGES)
def thread_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_staff_thread(pk)
    agent_id = request.POST.get("agent", "")
    agent = next((a for a in message_agents() if str(a.pk) == agent_id), None)
    if agent_id and agent is None:
        messages.error(request, _("Choose an agent who answers messages."))
    else:
        thread_assign(actor=request.user, thread=conversation, agent=agent)
        if agent is None:
            messages.success(request, _("Nobody has this conversation now."))
        elif agent == request.user:
            messages.success(request, _("The conversation is yours."))
        else:
            messages.success(
                request,
                _("The conversation is assigned to %(name)s, who is told by e-mail.")
                % {"name": agent.get_full_name() or agent.email},
            )
    return redirect(org_reverse(request.organisation, "backoffice:thread", pk=pk))


@require_POST
@require_permission(Permission.MANAGE_MESSAGES)
def thread_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_staff_thread(pk)
    try:
        thread_set_status(
            actor=request.user, thread=conversation, status=request.POST.get("status", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The conversation is closed.")
            if conversation.status == ThreadStatus.CLOSED
            else _("The conversation is marked “%(status)s”.")
            % {"status": ThreadStatus(conversation.status).label},
        )
    return redirect(org_reverse(request.organisation, "backoffice:thread", pk=pk))


@require_permission(Permission.MANAGE_MESSAGES)
def thread_new(request: HttpRequest, family_pk: int) -> HttpResponse:
    family = family_for_staff(family_pk)
    form = ThreadForm(request.POST or None, request.FILES or None, children=family_children(family))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = thread_start_by_staff(
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
                _("Your message is in the family's messages.")
                + " "
                + family_told(conversation.family_emailed),  # type: ignore[attr-defined]
            )
            return redirect(
                org_reverse(request.organisation, "backoffice:thread", pk=conversation.pk)
            )
    return render(
        request,
        "backoffice/thread_new.html",
        {"form": form, "family": family, "recipients": family_email_recipients(family)},
    )


# --- Reply templates ---


@require_permission(Permission.MANAGE_MESSAGES)
def templates(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The list of templates, with the form to write one (or change `pk`)."""
    template = get_object_or_404(ReplyTemplate, pk=pk) if pk is not None else None
    initial = {"title": template.title, "body": template.body} if template else None
    form = ReplyTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reply_template_save(
                actor=request.user,
                organisation=request.organisation,
                template=template,
                **form.cleaned_data,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The reply template is saved."))
            return redirect(org_reverse(request.organisation, "backoffice:reply_templates"))
    return render(
        request,
        "backoffice/reply_templates.html",
        {"form": form, "template": template, "templates": reply_templates()},
    )


@require_POST
@require_permission(Permission.MANAGE_MESSAGES)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply_template_delete(actor=request.user, template=get_object_or_404(ReplyTemplate, pk=pk))
    messages.success(request, _("The reply template is deleted."))
    return redirect(org_reverse(request.organisation, "backoffice:reply_templates"))


# --- Broadcasts ---


@require_permission(Permission.SEND_BROADCASTS)
def broadcast(request: HttpRequest) -> HttpResponse:
    """Choose who, write, preview how many families (and e-mails) it reaches, send."""
    form = BroadcastForm(request.POST or None)
    reach = None
    if request.method == "POST" and form.is_valid():
        audience = form.audience()
        if "send" in request.POST:
            try:
                sent = broadcast_send(
                    actor=request.user,
                    organisation=request.organisation,
                    audience=audience,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    by_sms=form.cleaned_data["by_sms"],
                )
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Your message is in the messages of %(n)d family. Those who accept "
                        "e-mails are told by e-mail.",
                        "Your message is in the messages of %(n)d families. Those who accept "
                        "e-mails are told by e-mail.",
                        sent.families_count,
                    )
                    % {"n": sent.families_count},
                )
                return redirect(org_reverse(request.organisation, "backoffice:broadcasts"))
        reach = broadcast_reach(audience_family_ids(audience))
        reach["label"] = audience.label()
    return render(
        request,
        "backoffice/broadcast.html",
        {
            "form": form,
            "reach": reach,
            "broadcasts": Broadcast.objects.select_related("sent_by")[:20],
        },
    )


# --- Announcements ---


@require_permission(Permission.SEND_BROADCASTS)
def announcements(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    announcement = get_object_or_404(Announcement, pk=pk) if pk is not None else None
    initial = (
        {
            "title": announcement.title,
            "body": announcement.body,
            "start": announcement.start,
            "end": announcement.end,
        }
        if announcement
        else None
    )
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            announcement_save(
                actor=request.user,
                organisation=request.organisation,
                announcement=announcement,
                **form.cleaned_data,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("The announcement is saved: families see it on their home page.")
            )
            return redirect(org_reverse(request.organisation, "backoffice:announcements"))
    return render(
        request,
        "backoffice/announcements.html",
        {
            "form": form,
            "announcement": announcement,
            "announcements": Announcement.objects.all()[:50],
        },
    )


@require_POST
@require_permission(Permission.SEND_BROADCASTS)
def announcement_remove(request: HttpRequest, pk: int) -> HttpResponse:
    announcement_delete(actor=request.user, announcement=get_object_or_404(Announcement, pk=pk))
    messages.success(request, _("The announcement is deleted."))
    return redirect(org_reverse(request.organisation, "backoffice:announcements"))
