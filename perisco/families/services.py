"""Writes on family files other than change requests: creating families, documents,
self-registration, the yearly certification, guardian logins."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from perisco.accounts.models import User, normalize_email
from perisco.accounts.roles import Role
from perisco.accounts.services import invitation_send
from perisco.accounts.tokens import MAX_AGE, Purpose, make_token
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.core.sequences import next_value
from perisco.core.urls import org_absolute_url
from perisco.families.models import (
    ChangeRequest,
    Child,
    Document,
    DocumentKind,
    Family,
    FamilyCertification,
    FamilyChild,
    FamilyStatus,
    Guardian,
    RequestKind,
    school_year_of,
)
from perisco.families.search import families_search_refresh
from perisco.families.uploads import check_upload
from perisco.messaging.services import email_send
from perisco.messaging.sms import sms_send

# Unconfirmed self-registrations are forgotten after this long.
UNVERIFIED_REGISTRATION_DAYS = 7


def family_email(*, family: Family, template: str, context: dict, required: bool = False) -> int:
    """E-mail a family's guardians who have a login and accept e-mails (SPEC §7), each in
    their own language; `required`: an e-mail the law requires (an invoice), sent whatever
    their consent. Returns how many e-mails were queued, so that what staff and families
    are told ("the family is told by e-mail") is true: 0 when nobody can be written to (no
    login, no consent) or e-mails are suppressed (demo data)."""
    return family_email_to(
        family=family,
        guardians=family_email_recipients(family, required=required),
        template=template,
        context=context,
    )


def family_sms(*, family: Family, text: Callable[[], str]) -> int:
    """Text the guardians who gave a mobile number and accept text messages (their file's
    consent), each in their login's language (`text()` is called in it); returns how many
    texts were queued."""
    guardians = (
        Guardian.objects.filter(family=family, consent_sms=True)
        .exclude(mobile_phone="")
        .select_related("user")
    )
    sent = 0
    for guardian in guardians:
        language = guardian.user.language if guardian.user else settings.LANGUAGE_CODE
        with translation.override(language):
            sent += sms_send(
                organisation=family.organisation, to=guardian.mobile_phone, text=text()
            )
    return sent


def family_email_recipients(family: Family, *, required: bool = False) -> list[Guardian]:
    """The guardians `family_email` writes to: a login, active, accepting e-mails (unless
    the e-mail is `required`)."""
    guardians = Guardian.objects.filter(family=family, user__is_active=True)
    if not required:
        guardians = guardians.filter(consent_email=True)
    return list(guardians.select_related("user"))


def family_email_to(
    *, family: Family, guardians: list[Guardian], template: str, context: dict
) -> int:
    queued = 0
    for guardian in guardians:
        queued += (
            email_send(
                organisation=family.organisation,
                to=guardian.user.email,  # type: ignore[union-attr]
                template=template,
                context={**context, "guardian": guardian},
                language=guardian.user.language,  # type: ignore[union-attr]
                family_id=family.pk,
            )
            is not None
        )
    return queued


def family_number_next(organisation: Organisation) -> str:
    return f"{next_value(organisation=organisation, key='family'):06d}"


@transaction.atomic
def family_create(
    *, organisation: Organisation, name: str, status: str = FamilyStatus.ACTIVE
) -> Family:
    family = Family.objects.create(
        organisation=organisation,
        name=name.strip().upper(),
        number=family_number_next(organisation),
        status=status,
    )
    families_search_refresh([family])
    return family


@transaction.atomic
def family_create_with_guardian(
    *, actor: User, organisation: Organisation, guardian: dict[str, Any]
) -> Family:
    """Staff open a file for a family known at the town hall."""
    family = family_create(organisation=organisation, name=guardian["last_name"])
    Guardian.objects.create(organisation=organisation, family=family, rank=1, **guardian)
    families_search_refresh([family])
    audit_log(organisation=organisation, actor=actor, action="family.created", target=family)
    return family


@transaction.atomic
def guardian_invite(*, guardian: Guardian, actor: User) -> User:
    """Give a guardian a login: an e-mail whose single-use link sets their password."""
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    if not guardian.email:
        raise DomainError(_("This guardian has no e-mail address: add one to their file first."))
    user = guardian.user
    if user is None:
        if User.objects.filter(email=normalize_email(guardian.email)).exists():
            raise DomainError(_("Another account already uses this e-mail address."))
        user = User.all_objects.create_user(
            guardian.email,
            organisation=guardian.organisation,
            role=Role.GUARDIAN,
            first_name=guardian.first_name,
            last_name=guardian.last_name,
        )
        guardian.user = user
        guardian.save(update_fields=["user"])
    invitation_send(user=user, actor=actor)
    return user


# --- Documents -----------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *,
    actor: User,
    organisation: Organisation,
    upload: UploadedFile,
    kind: str,
    title: str = "",
    family: Family | None = None,
    child: Child | None = None,
    published: bool = False,
    public: bool = False,
) -> Document:
    """Store a checked file. A family's document needs its family; a published one none."""
    if (family is None) != published:
        raise ValueError("a document belongs to a family, or is published by the organisation")
    checked = check_upload(upload, images_only=kind == DocumentKind.PHOTO)
    document = Document(
        organisation=organisation,
        kind=kind,
        title=(title or "").strip() or str(DocumentKind(kind).label),
        content_type=checked.content_type,
        size=checked.size,
        family=family,
        child=child,
        is_published=published,
        is_public=public and published,
        uploaded_by=actor,
    )
    document.file.save("upload", checked.content, save=False)
    document.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="document.uploaded",
        target=document,
        data={"kind": kind, "size": checked.size},
    )
    return document


@transaction.atomic
def document_delete(*, actor: User, document: Document) -> None:
    """Families remove what they sent by mistake; staff unpublish. Files used by the file
    (a photo, an attestation) stay."""
    if document.family is not None and Child.objects.filter(photo=document).exists():
        raise DomainError(_("This photo is on a child's file: send another photo instead."))
    audit_log(
        organisation=document.organisation, actor=actor, action="document.deleted", target=document
    )
    document.file.delete(save=False)
    document.delete()


# --- Self-registration (seed 003) ----------------------------------------------------


@transaction.atomic
def registration_submit(
    *,
    organisation: Organisation,
    guardians: list[dict[str, Any]],
    household: dict[str, Any],
    children: list[dict[str, Any]],
) -> Family | None:
    """A new family fills the four steps. Nothing is visible to staff until the address is
    confirmed; if it already has an account here, only its owner is told."""
    email = normalize_email(guardians[0]["email"])
    if User.all_objects.filter(organisation=organisation, email=email).exists():
        email_send(
            organisation=organisation,
            to=email,
            template="registration_existing_account",
            context={"login_url": org_absolute_url(organisation, "web:login")},
        )
        return None
    family = family_create(
        organisation=organisation, name=guardians[0]["last_name"], status=FamilyStatus.UNVERIFIED
    )
    family.marital_status = household.get("marital_status", "")
    family.save(update_fields=["marital_status"])
    address = {k: household.get(k, "") for k in ("address", "postal_code", "city", "phone_home")}
    for rank, values in enumerate(guardians, start=1):
        Guardian.objects.create(
            organisation=organisation, family=family, rank=rank, **{**address, **values}
        )
    for values in children:
        child = Child(organisation=organisation, **values)
        child.full_clean()
        child.save()
        FamilyChild.objects.create(organisation=organisation, family=family, child=child)
    families_search_refresh([family])
    main = family.guardians.get(rank=1)
    user = User.all_objects.create_user(
        email,
        organisation=organisation,
        role=Role.GUARDIAN,
        first_name=main.first_name,
        last_name=main.last_name,
    )
    main.user = user
    main.save(update_fields=["user"])
    url = org_absolute_url(
        organisation, "web:registration_confirm", token=make_token(user, Purpose.REGISTRATION)
    )
    email_send(
        organisation=organisation,
        to=email,
        template="registration_confirm",
        context={"user": user, "url": url, "days": MAX_AGE[Purpose.REGISTRATION].days},
    )
    audit_log(organisation=organisation, actor=None, action="family.registered", target=family)
    return family


@transaction.atomic
def registration_confirm(*, user: User, password: str) -> ChangeRequest:
    """The address is confirmed and the password chosen: the registration goes to staff."""
    user = User.all_objects.select_for_update().get(pk=user.pk)
    family = Family.objects.select_for_update().get(guardians__user=user)
    if family.status != FamilyStatus.UNVERIFIED:
        raise DomainError(_("This registration has already been confirmed. Sign in instead."))
    user.set_password(password)
    user.save(update_fields=["password"])
    family.status = FamilyStatus.PENDING
    family.save(update_fields=["status"])
    request = ChangeRequest.objects.create(
        organisation=family.organisation,
        family=family,
        kind=RequestKind.REGISTRATION,
        target_id=family.pk,
        changes={"status": {"before": FamilyStatus.PENDING, "after": FamilyStatus.ACTIVE}},
        created_by=user,
    )
    audit_log(
        organisation=family.organisation,
        actor=user,
        action="family.registration_confirmed",
        target=family,
    )
    email_send(
        organisation=family.organisation,
        to=user.email,
        template="request_received",
        context={"request": request, "kind": request.get_kind_display()},
        language=user.language,
    )
    return request


def registrations_purge_unverified(*, now=None) -> int:
    """Forget registrations whose address was never confirmed (run daily)."""
    from django_scopes import scopes_disabled

    cutoff = (now or timezone.now()) - timedelta(days=UNVERIFIED_REGISTRATION_DAYS)
    count = 0
    with scopes_disabled(), transaction.atomic():
        for family in Family.objects.filter(status=FamilyStatus.UNVERIFIED, created_at__lt=cutoff):
            children = list(family.children.all())
            User.all_objects.filter(guardian__family=family).delete()
            family.delete()
            for child in children:
                if not FamilyChild.objects.filter(child=child).exists():
                    child.delete()
            count += 1
    return count


# --- Yearly certification ------------------------------------------------------------


def certification_year(today: date) -> int:
    """From June, families certify for the school year that starts in September."""
    return today.year if today.month >= 6 else today.year - 1


@transaction.atomic
def family_certify(
    *,
    actor: User | None,
    family: Family,
    school_year: int,
    file_up_to_date: bool,
    rules_accepted: bool,
    data_processing_acknowledged: bool,
) -> FamilyCertification:
    if not (file_up_to_date and rules_accepted and data_processing_acknowledged):
        raise DomainError(_("Tick the three boxes to certify your file."))
    rules = (
        Document.objects.filter(kind=DocumentKind.RULES, is_published=True)
        .order_by("-uploaded_at")
        .first()
    )
    certification, created = FamilyCertification.objects.get_or_create(
        family=family,
        school_year=school_year,
        defaults={"organisation": family.organisation, "rules": rules, "certified_by": actor},
    )
    if created:
        audit_log(
            organisation=family.organisation,
            actor=actor,
            action="family.certified",
            target=family,
            data={"school_year": school_year},
        )
    return certification


# Apps above this one hold bookings back for their own reasons (billing: an overdue debt
# above the organisation's threshold). They register a function here when they load:
# family -> the reason in words for the family, or None.
BOOKING_HOLDS: list[Callable[[Family], str | None]] = []


def family_booking_block(family: Family, day: date) -> str | None:
    """Why this family may not book `day` yet, in words for the family; None if it may.

    The booking rules (deadlines, capacity…) come on top of this.
    """
    for hold in BOOKING_HOLDS:
        reason = hold(family)
        if reason:
            return reason
    if family.status != FamilyStatus.ACTIVE:
        return _("Your registration is awaiting validation by the childhood service.")
    year = school_year_of(day)
    if not FamilyCertification.objects.filter(family=family, school_year=year).exists():
        return _(
            "Before booking for %(year)s-%(next)s, certify that your file is up to date and "
            "accept the rules (Home page)."
        ) % {"year": year, "next": year + 1}
    return None


@transaction.atomic
def guardian_reminders_set(*, actor: User, guardian: Guardian, enabled: bool) -> Guardian:
    """A guardian asks for (or stops) the e-mails sent before a booking deadline when next
    week is not fully booked (`bookings.reminders`)."""
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    if guardian.booking_reminders == enabled:
        return guardian
    guardian.booking_reminders = enabled
    guardian.save(update_fields=["booking_reminders"])
    audit_log(
        organisation=guardian.organisation,
        actor=actor,
        action="guardian.reminders_on" if enabled else "guardian.reminders_off",
        target=guardian,
    )
    return guardian


@transaction.atomic
def request_settings_update(*, actor: User, organisation: Organisation, auto_accept: set[str]):
    """Which kinds of request are accepted without a look (the rest wait for staff)."""
    from perisco.families.models import RequestKindSetting

    before = set(RequestKindSetting.objects.filter(auto_accept=True).values_list("kind", flat=True))
    for kind in RequestKind:
        if kind == RequestKind.REGISTRATION:
            continue
        RequestKindSetting.objects.update_or_create(
            organisation=organisation,
            kind=kind,
            defaults={"auto_accept": kind in auto_accept},
        )
    if before != auto_accept:
        audit_log(
            organisation=organisation,
            actor=actor,
            action="requests.settings_changed",
            data={"auto_accept": sorted(auto_accept)},
        )
