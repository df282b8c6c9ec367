"""Change requests ("demandes"): a family proposes, staff accept (the change is applied
atomically) or refuse with a reason; the family is told either way.

Staff may also edit a file directly (`file_edit`): same fields, same checks, applied at once.
"""

from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perisco.accounts.models import User
from perisco.core.audit import audit_log
from perisco.core.decisions import record_decision
from perisco.core.errors import DomainError
from perisco.core.models import School
from perisco.families.kinds import (
    CONTACT_FIELDS,
    SPECS,
    KindSpec,
    current_object,
    field_label,
    from_json,
    snapshot,
    to_json,
)
from perisco.families.models import (
    BankAccount,
    ChangeRequest,
    Child,
    ChildContact,
    Document,
    DocumentKind,
    Family,
    FamilyChild,
    FamilyQuotient,
    FamilyStatus,
    Guardian,
    RequestKind,
    RequestStatus,
)
from perisco.families.search import family_search_refresh_after
from perisco.families.selectors import kind_is_auto_accepted
from perisco.families.services import document_upload, family_email

ALREADY_DECIDED = gettext_lazy("This request has already been decided by someone else.")


class OutdatedRequest(DomainError):
    """The record changed since the family made the request: staff must confirm."""

    def __init__(self, fields: list[str]):
        super().__init__(
            _(
                "The file has changed since this request was made (%(fields)s). Check the "
                "values, then confirm to apply it anyway."
            )
            % {"fields": ", ".join(fields)}
        )
        self.fields = fields


# --- Submitting ----------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *,
    actor: User,
    family: Family,
    kind: str,
    values: dict[str, Any],
    child: Child | None = None,
    upload: UploadedFile | None = None,
) -> ChangeRequest:
    """Record what the family proposes; accepted at once if the organisation chose so.

    `upload` is the photo (photo requests) or the attestation (quotient familial).
    """
    proposal = _propose(family, kind, values, child, upload, actor)
    request = ChangeRequest.objects.create(
        organisation=family.organisation,
        family=family,
        child=child,
        kind=kind,
        target_id=proposal.target.pk if proposal.target is not None else None,
        changes=proposal.changes,
        created_by=actor,
    )
    for document in proposal.documents:
        document.request = request
        document.save(update_fields=["request"])
    _mark_superseded(request)
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action="request.submitted",
        target=request,
        data={"kind": kind},
    )
    if kind_is_auto_accepted(family.organisation, kind):
        _accept(request, actor=None, confirm_outdated=False)
        _notify(request, "request_accepted")
    else:
        _notify(request, "request_received")
    return request


@dataclass(frozen=True)
class _Proposal:
    target: models.Model | None
    changes: dict[str, dict[str, Any]]
    documents: list[Document]


def _propose(family, kind, values, child, upload, actor) -> _Proposal:
    """What would change, checked by the model's rules, with the files it comes with."""
    spec = SPECS[kind]
    if spec.level == "child" and not spec.creates and child is None:
        raise DomainError(_("Choose the child this request is about."))
    documents = _uploaded_documents(actor, family, child, kind, upload)
    if kind == RequestKind.PHOTO:
        values = {"photo": str(documents[0].uuid)}
    target = current_object(spec, family, child)
    before = snapshot(spec, target)
    after = _normalised(spec, values)
    _validate(spec, family, target, after)
    changes = {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if value != before.get(name) and not (spec.creates and value in (None, "", [], False))
    }
    if not changes:
        raise DomainError(_("Nothing has changed: modify at least one field."))
    return _Proposal(target, changes, documents)


def _uploaded_documents(actor, family, child, kind, upload) -> list[Document]:
    # The photo itself, the quotient's attestation, or any supporting document.
    document_kind = {
        RequestKind.PHOTO: DocumentKind.PHOTO,
        RequestKind.FISCAL: DocumentKind.QF_ATTESTATION,
        RequestKind.HEALTH: DocumentKind.VACCINATIONS,
    }.get(kind, DocumentKind.OTHER)
    if upload is None:
        if kind == RequestKind.PHOTO:
            raise DomainError(_("Choose the photo to send."), field="file")
        return []
    document = document_upload(
        actor=actor,
        organisation=family.organisation,
        upload=upload,
        kind=document_kind,
        family=family,
        child=child,
    )
    return [document]


def _normalised(spec: KindSpec, values: dict[str, Any]) -> dict[str, Any]:
    if spec.kind == RequestKind.CONTACTS:
        return {"contacts": [{k: c[k] for k in CONTACT_FIELDS} for c in values["contacts"]]}
    if spec.kind == RequestKind.PHOTO:
        return {"photo": values["photo"]}
    return {name: to_json(spec.field(name), values[name]) for name in spec.fields if name in values}


def _validate(spec: KindSpec, family: Family, target, after: dict[str, Any]) -> None:
    """The model's own rules (IBAN checksum, dates…) on the proposed values, whoever sends
    them: a request that could not be applied is refused when it is made."""
    if spec.kind in (RequestKind.CONTACTS, RequestKind.PHOTO, RequestKind.REGISTRATION):
        return
    candidate = _candidate(spec, family, target)
    _assign(spec, candidate, after)
    exclude = [
        f.name for f in spec.model._meta.fields if f.name not in after and f.name != "organisation"
    ]
    try:
        candidate.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as error:
        messages = [
            f"{field_label(spec, name)} : {' '.join(errors)}"
            if name in spec.fields
            else " ".join(errors)
            for name, errors in error.message_dict.items()
        ]
        raise DomainError(" ".join(messages)) from error
    if spec.kind == RequestKind.FISCAL:
        _check_quotient_overlap(family, after, exclude_pk=None)


def _candidate(spec: KindSpec, family: Family, target) -> models.Model:
    if target is not None:
        return spec.model._default_manager.get(
            pk=target.pk
        )  # a copy: the request changes nothing yet
    fields: dict[str, Any] = {"organisation": family.organisation}
    if spec.model in (Guardian, FamilyQuotient, BankAccount):
        fields["family"] = family
    if spec.kind == RequestKind.SPOUSE:
        fields["rank"] = 2
    return spec.model(**fields)


def _assign(spec: KindSpec, obj: models.Model, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = spec.field(name)
        if isinstance(field, models.ForeignKey):
            # The school must be one of this organisation's (the scoped query says so).
            unknown = value is not None and not School.objects.filter(pk=value).exists()
            if field.related_model is School and unknown:
                raise DomainError(_("Choose a school from the list."))
            setattr(obj, field.attname, value)
        else:
            setattr(obj, name, from_json(field, value))


def _check_quotient_overlap(family: Family, values: dict[str, Any], exclude_pk) -> None:
    field = FamilyQuotient._meta.get_field("valid_from")
    start = from_json(field, values.get("valid_from"))
    end = from_json(field, values.get("valid_until"))
    others = FamilyQuotient.objects.filter(family=family).exclude(pk=exclude_pk)
    overlapping = others.filter(
        models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=start)
    )
    if end is not None:
        overlapping = overlapping.filter(valid_from__lte=end)
    # An open-ended quotient is closed by the next one rather than refused.
    if overlapping.exclude(valid_until__isnull=True, valid_from__lt=start).exists():
        raise DomainError(
            _("These dates overlap another quotient familial of the family; change the dates.")
        )


def _mark_superseded(request: ChangeRequest) -> None:
    """An older pending request on the same record and fields is replaced by this one."""
    if SPECS[request.kind].creates:
        return
    older = ChangeRequest.objects.filter(
        family=request.family,
        child=request.child,
        kind=request.kind,
        status=RequestStatus.PENDING,
        superseded_by__isnull=True,
    ).exclude(pk=request.pk)
    for other in older:
        if set(other.changes) & set(request.changes):
            other.superseded_by = request
            other.save(update_fields=["superseded_by"])


# --- Deciding ------------------------------------------------------------------------


@transaction.atomic
def request_accept(
    *, actor: User, request: ChangeRequest, confirm_outdated: bool = False
) -> ChangeRequest:
    request = _locked_pending(request)
    _accept(request, actor=actor, confirm_outdated=confirm_outdated)
    _notify(request, "request_accepted")
    return request


@transaction.atomic
def request_refuse(*, actor: User, request: ChangeRequest, reason: str) -> ChangeRequest:
    reason = reason.strip()
    if not reason:
        raise DomainError(
            _("Say why the request is refused: the family will read it."), field="reason"
        )
    request = _locked_pending(request)
    record_decision(
        request, status=RequestStatus.REFUSED, actor=actor, action="request.refused", reason=reason
    )
    if request.kind == RequestKind.REGISTRATION:
        _registration_refused(request.family)
    _notify(request, "request_refused")
    return request


@transaction.atomic
def request_withdraw(*, actor: User, request: ChangeRequest) -> ChangeRequest:
    request = _locked_pending(request)
    record_decision(
        request, status=RequestStatus.WITHDRAWN, actor=actor, action="request.withdrawn"
    )
    return request


@dataclass
class BulkReport:
    accepted: list[ChangeRequest] = field(default_factory=list)
    skipped: list[tuple[ChangeRequest, str]] = field(default_factory=list)


def requests_accept_many(*, actor: User, requests: list[ChangeRequest]) -> BulkReport:
    """Accept each request on its own; those that changed since, or were decided
    meanwhile, are left for a look one by one."""
    report = BulkReport()
    for request in requests:
        try:
            report.accepted.append(request_accept(actor=actor, request=request))
        except DomainError as error:
            report.skipped.append((request, error.message))
    return report


def _locked_pending(request: ChangeRequest) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise DomainError(ALREADY_DECIDED)
    return request


def outdated_fields(request: ChangeRequest) -> list[str]:
    """The fields whose value today differs from the "before" the family saw."""
    spec = SPECS[request.kind]
    if spec.creates or request.kind == RequestKind.REGISTRATION:
        return []
    current = snapshot(spec, current_object(spec, request.family, request.child))
    return [
        field_label(spec, name)
        for name, change in request.changes.items()
        if current.get(name) != change["before"]
    ]


def _accept(request: ChangeRequest, *, actor: User | None, confirm_outdated: bool) -> None:
    outdated = outdated_fields(request)
    if outdated and not confirm_outdated:
        raise OutdatedRequest(outdated)
    _apply(request)
    record_decision(
        request,
        status=RequestStatus.ACCEPTED,
        actor=actor,
        action="request.accepted",
        data={"automatic": actor is None, "outdated": outdated},
    )


def _apply(request: ChangeRequest) -> None:
    after = {name: change["after"] for name, change in request.changes.items()}
    obj = _write(
        SPECS[request.kind],
        request.family,
        request.child,
        after,
        reason=f"request #{request.pk}",
        attestation=request.documents.first(),
    )
    if request.kind == RequestKind.NEW_CHILD:
        request.child = obj  # type: ignore[assignment]
        request.target_id = obj.pk
        request.save(update_fields=["child", "target_id"])


def _write(
    spec: KindSpec,
    family: Family,
    child: Child | None,
    after: dict[str, Any],
    *,
    reason: str,
    attestation: Document | None = None,
) -> models.Model:
    """Write accepted values to the record (created if needed); the history notes `reason`."""
    if spec.kind == RequestKind.REGISTRATION:
        obj: models.Model = family
        family.status = FamilyStatus.ACTIVE
    elif spec.kind == RequestKind.CONTACTS:
        _replace_contacts(child, after["contacts"], reason)
        return child  # type: ignore[return-value]
    elif spec.kind == RequestKind.PHOTO:
        obj = child  # type: ignore[assignment]
        obj.photo = Document.objects.get(uuid=after["photo"])  # type: ignore[attr-defined]
    else:
        target = current_object(spec, family, child)
        obj = target if target is not None else _candidate(spec, family, None)
        _assign(spec, obj, after)
        if spec.kind == RequestKind.FISCAL:
            _close_open_quotient(family, obj)  # type: ignore[arg-type]
            obj.attestation = attestation  # type: ignore[attr-defined]
        if spec.kind == RequestKind.BANK and not obj.mandate_reference:  # type: ignore[attr-defined]
            obj.mandate_reference = mandate_reference_for(family)  # type: ignore[attr-defined]
    try:
        obj.full_clean()
    except ValidationError as error:
        raise DomainError(" ".join(m for ms in error.message_dict.values() for m in ms)) from error
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()
    if spec.kind == RequestKind.NEW_CHILD:
        FamilyChild.objects.create(
            organisation=family.organisation, family=family, child=cast(Child, obj)
        )
    family_search_refresh_after(family=family, record=obj, fields=after)
    return obj


def _replace_contacts(child, contacts: list[dict[str, Any]], reason: str) -> None:
    for contact in child.contacts.all():
        contact._change_reason = reason
        contact.delete()
    for values in contacts:
        contact = ChildContact(organisation=child.organisation, child=child, **values)
        contact.full_clean()
        contact._change_reason = reason  # type: ignore[attr-defined]
        contact.save()


def _close_open_quotient(family: Family, new: FamilyQuotient) -> None:
    """A new quotient ends the open-ended one that started before it."""
    from datetime import timedelta

    for previous in FamilyQuotient.objects.filter(
        family=family, valid_until__isnull=True, valid_from__lt=new.valid_from
    ):
        previous.valid_until = new.valid_from - timedelta(days=1)
        previous.save(update_fields=["valid_until"])


def mandate_reference_for(family: Family) -> str:
    """A SEPA mandate reference (RUM) unique within the organisation."""
    from perisco.core.sequences import next_value

    number = next_value(organisation=family.organisation, key="sepa-mandate")
    return f"{family.organisation.slug.upper()[:10]}-{family.number}-{number:04d}"


def _registration_refused(family: Family) -> None:
    family.status = FamilyStatus.REFUSED
    family.save(update_fields=["status"])
    User.all_objects.filter(guardian__family=family).update(is_active=False)


# --- Direct edits by staff -----------------------------------------------------------


@transaction.atomic
def file_edit(
    *,
    actor: User,
    family: Family,
    kind: str,
    values: dict[str, Any],
    child: Child | None = None,
    upload: UploadedFile | None = None,
) -> None:
    """Staff change a family's file at once: the same checks as a request, then applied,
    recorded in the history with the staff member as author."""
    proposal = _propose(family, kind, values, child, upload, actor)
    after = {name: change["after"] for name, change in proposal.changes.items()}
    _write(
        SPECS[kind],
        family,
        child,
        after,
        reason="direct edit",
        attestation=proposal.documents[0] if proposal.documents else None,
    )
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action="family.edited",
        target=family,
        data={"kind": kind, "changes": proposal.changes},
    )


# --- Telling the family --------------------------------------------------------------


def _notify(request: ChangeRequest, template: str) -> None:
    request.family_emailed = family_email(
        family=request.family,
        template=template,
        context={"request": request, "kind": request.get_kind_display()},
    )
