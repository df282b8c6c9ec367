"""Holiday sessions given by a draw (SPEC §5, issue 9): the request window, the families'
requests, the allocation run (priorities, then the lottery of `bookings.lottery`) and its
publication as bookings through the booking service and the rule engine."""

import logging
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.activities.calendars import holidays_for
from perisco.activities.models import Enrollment, EnrollmentStatus, PeriodKind, RequestWindow
from perisco.activities.rules import CLOSED_REASONS, Reason, can_book, opening
from perisco.activities.selectors import catalogue_for, days_between
from perisco.activities.templatetags.activities import when
from perisco.bookings.lottery import Allocation, Applicant, Criterion, allocate
from perisco.bookings.models import Booking, BookingAction, PlaceCounter, PlaceRequest
from perisco.bookings.services import (
    Change,
    DayOutcome,
    Refusal,
    Result,
    _contexts,
    bookings_apply,
)
from perisco.bookings.states import LIVE
from perisco.core.audit import audit_log
from perisco.core.errors import DomainError
from perisco.core.scoping import organisation_scope
from perisco.families.models import Child, Family, Guardian, SocioProfessionalCategory
from perisco.families.selectors import guardian_is_resident
from perisco.families.services import family_booking_block, family_email

MAX_BONUS = 20
logger = logging.getLogger(__name__)
WORKING = {
    SocioProfessionalCategory.FARMER,
    SocioProfessionalCategory.SELF_EMPLOYED,
    SocioProfessionalCategory.EXECUTIVE,
    SocioProfessionalCategory.INTERMEDIATE,
    SocioProfessionalCategory.EMPLOYEE,
    SocioProfessionalCategory.WORKER,
}


def _lock_unpublished(window: RequestWindow, *, asked: bool = False) -> RequestWindow:
    """The window, locked (two staff clicking at once act one after the other), while its
    draw can still change; `asked`: the publication staff asked for is under way."""
    window = (
        RequestWindow.objects.select_for_update(of=("self",))
        .select_related("period", "unit", "organisation")
        .get(pk=window.pk)
    )
    if window.published_at is not None:
        raise DomainError(_("This draw is already published: it can no longer change."))
    if window.publish_asked_at is not None and not asked:
        raise DomainError(_("This draw is being published: it can no longer change."))
    return window


def _require_manager(actor: User) -> None:
    if not has_permission(actor, Permission.MANAGE_BOOKINGS):
        raise DomainError(_("Only the childhood service can run a holiday session's draw."))


@transaction.atomic
def request_window_create(
    *,
    actor: User,
    period,
    unit,
    opens_at: datetime,
    closes_at: datetime,
    weights: dict[str, int],
    siblings_together: bool = True,
) -> RequestWindow:
    _require_manager(actor)
    if period.kind != PeriodKind.HOLIDAY_SESSION:
        raise DomainError(_("Only a holiday session opens with a request window."))
    if unit.activity_id != period.activity_id:
        raise DomainError(_("Choose a unit of the session's activity."))
    if unit.age_groups.exists():
        raise DomainError(_("A draw cannot share places by age group yet: choose another unit."))
    if closes_at <= opens_at:
        raise DomainError(_("The window must close after it opens."))
    first_day = timezone.make_aware(datetime.combine(period.start, datetime.min.time()))
    if closes_at > first_day:
        raise DomainError(_("Requests must close before the session's first day."))
    if RequestWindow.objects.filter(period=period).exists():
        raise DomainError(_("This session already has a request window."))
    window = RequestWindow.objects.create(
        organisation_id=period.organisation_id,
        period=period,
        unit=unit,
        opens_at=opens_at,
        closes_at=closes_at,
        weights={str(k): int(v) for k, v in weights.items()},
        siblings_together=siblings_together,
    )
    audit_log(
        organisation=window.organisation,
        actor=actor,
        action="bookings.request_window_created",
        target=window,
        data={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()},
    )
    return window


@dataclass
class RequestsReport:
    asked: list[tuple[Child, date]]
    refused: list[tuple[Child, date, str]]
    emailed: int = 0


def _request_refusal(reason: Reason) -> str:
    texts = {
        Reason.NOT_ENROLLED: _("not enrolled in the activity"),
        Reason.ALREADY_BOOKED: _("already booked"),
        Reason.EXCLUSIVE: _("not possible with another unit booked that day"),
        Reason.MISSING_DEPENDENCY: _("only with another unit that day"),
    }
    if reason in CLOSED_REASONS:
        return str(_("the centre is not open that day"))
    return str(texts.get(reason, _("not possible that day")))


@transaction.atomic
def place_requests_set(
    *,
    actor: User,
    family: Family,
    window: RequestWindow,
    wanted: set[tuple[int, date]],
    now: datetime | None = None,
) -> RequestsReport:
    """The family's requests in the window become `wanted` (child id, day): days added are
    asked, days left out withdrawn. The order of requests gives no advantage."""
    # Locked against the draw (no request lands while it runs); families asking at the same
    # moment wait for each other a few milliseconds. The time is read once the lock is
    # held: a request that waited for a draw is judged at the draw's end, and refused.
    window = (
        RequestWindow.objects.select_for_update(of=("self",))
        .select_related("period", "unit", "organisation")
        .get(pk=window.pk)
    )
    now = now or timezone.now()
    if not window.is_open(now) or window.drawn_at or window.publish_asked_at:
        raise DomainError(
            _(
                "Requests for this session are not open: they are taken from %(opens)s to "
                "%(closes)s."
            )
            % {"opens": when(window.opens_at), "closes": when(window.closes_at)}
        )
    children = {c.pk: c for c in Child.objects.filter(families=family)}
    period, unit = window.period, window.unit
    # Every child every day of the session at most (a forged form asks for more).
    most = len(children) * ((period.end - period.start).days + 1)
    if len(wanted) > most:
        raise DomainError(
            _("%(count)s days asked at once; the most is %(max)s.")
            % {"count": len(wanted), "max": most}
        )
    if any(child_id not in children for child_id, _day in wanted):
        raise DomainError(_("This child is not in your family."))
    block = family_booking_block(family, period.start)
    if block and wanted:
        raise DomainError(block)
    # A child of separated parents: the other household may have asked for a day already.
    elsewhere = set(
        PlaceRequest.objects.filter(window=window, child__in=list(children))
        .exclude(family=family)
        .values_list("child_id", "day")
    )
    catalogue = catalogue_for([unit.activity_id], period.start, period.end)
    holidays = holidays_for(window.organisation, period.start, period.end)
    held = Booking.objects.filter(
        child__in=list(children),
        unit=unit,
        day__gte=period.start,
        day__lte=period.end,
        state__in=sorted(LIVE),
    )
    contexts = _contexts(children, held, period.start, period.end)
    asked, refused = [], []
    keep = set()
    for child_id, day in sorted(wanted, key=lambda w: (w[1], children[w[0]].first_name)):
        child = children[child_id]
        if not period.start <= day <= period.end:
            refused.append((child, day, str(_("outside the session"))))
            continue
        if (child_id, day) in elsewhere:
            refused.append((child, day, str(_("already asked for by the other household"))))
            continue
        verdict = can_book(
            unit=catalogue.rules[unit.pk],
            calendar=catalogue.calendars[unit.activity_id],
            child=contexts[child_id],
            day=day,
            now=now,
            holidays=holidays,
            counts={},
            ignore_deadline=True,
        )
        if not verdict.allowed:
            refused.append((child, day, _request_refusal(verdict.reason)))
            continue
        keep.add((child_id, day))
        asked.append((child, day))
    existing = {
        (r.child_id, r.day): r for r in PlaceRequest.objects.filter(window=window, family=family)
    }
    PlaceRequest.objects.filter(
        pk__in=[r.pk for key, r in existing.items() if key not in keep]
    ).delete()
    PlaceRequest.objects.bulk_create(
        PlaceRequest(
            organisation_id=window.organisation_id,
            window=window,
            family=family,
            child_id=child_id,
            day=day,
            created_at=now,
        )
        for child_id, day in sorted(keep - set(existing))
    )
    # Every change a family makes is confirmed by e-mail (SPEC §5).
    report_emailed = family_email(
        family=family,
        template="place_requests_received",
        context={
            "session": period.name,
            "unit": unit,
            "asked": asked,
            "refused": refused,
            "closes_at": window.closes_at,
        },
    )
    audit_log(
        organisation=window.organisation,
        actor=actor,
        action="bookings.place_requests_set",
        target=window,
        data={"family": family.pk, "days": len(keep)},
    )
    return RequestsReport(asked, refused, report_emailed)


def family_criteria(window: RequestWindow, families: list[Family]) -> dict[int, set[str]]:
    organisation = window.organisation
    criteria: dict[int, set[str]] = defaultdict(set)
    guardians: dict[int, list[Guardian]] = defaultdict(list)
    for guardian in Guardian.objects.filter(family__in=families):
        guardians[guardian.family_id].append(guardian)
    for family in families:
        own = sorted(guardians[family.pk], key=lambda g: g.rank)
        if guardian_is_resident(organisation, own[0] if own else None):
            criteria[family.pk].add(Criterion.RESIDENT)
        if own and all(
            g.socio_professional_category in WORKING
            or (not g.socio_professional_category and g.profession.strip())
            for g in own
        ):
            criteria[family.pk].add(Criterion.WORKING)
    previous = (
        RequestWindow.objects.filter(
            unit__activity_id=window.unit.activity_id,
            published_at__isnull=False,
            period__start__lt=window.period.start,
        )
        .order_by("-period__start")
        .first()
    )
    if previous is not None:
        for family_id in (
            PlaceRequest.objects.filter(window=previous, result=PlaceRequest.Result.WAITING)
            .values_list("family_id", flat=True)
            .distinct()
        ):
            criteria[family_id].add(Criterion.REFUSED_LAST_TIME)
    return criteria


def _places(window: RequestWindow) -> dict[date, int | None]:
    """Places free each day of the session: the unit's, less those already held (staff
    may have booked some before the draw)."""
    period, unit = window.period, window.unit
    rules = catalogue_for([unit.activity_id], period.start, period.end).rules[unit.pk]
    taken = dict(
        PlaceCounter.objects.filter(
            unit=unit, day__gte=period.start, day__lte=period.end, group=0
        ).values_list("day", "taken")
    )
    days = PlaceRequest.objects.filter(window=window).values_list("day", flat=True).distinct()
    places: dict[date, int | None] = {}
    for day in days:
        capacity = rules.capacity_by_date.get(day, rules.capacity)
        places[day] = None if capacity is None else max(capacity - taken.get(day, 0), 0)
    return places


@transaction.atomic
def allocation_run(*, actor: User, window: RequestWindow, now: datetime | None = None):
    """Give the places: by points, then by the draw. The first run draws the seed; running
    again before publication gives the same answer (the seed is kept)."""
    _require_manager(actor)
    now = now or timezone.now()
    window = _lock_unpublished(window)
    if now < window.closes_at:
        raise DomainError(_("Requests are still open: run the draw once the window has closed."))
    requests = list(PlaceRequest.objects.filter(window=window).select_related("family"))
    if not requests:
        raise DomainError(_("No family asked for a day of this session."))
    if window.seed is None:
        window.seed = secrets.randbits(63)
    families = {r.family_id: r.family for r in requests}
    criteria = family_criteria(window, list(families.values()))
    days: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for request in requests:
        days[request.family_id][request.day].append(request.child_id)
    applicants = [
        Applicant(
            family_id,
            frozenset(criteria[family_id]),
            int(window.bonuses.get(str(family_id), {}).get("points", 0)),
            {day: tuple(children) for day, children in asked.items()},
        )
        for family_id, asked in days.items()
    ]
    result = allocate(
        applicants,
        _places(window),
        seed=window.seed,
        weights=window.weights,
        siblings_together=window.siblings_together,
    )
    _store(window, requests, result)
    window.draw = {
        "draw": result.draw,
        "order": result.order,
        "points": {str(k): v for k, v in result.points.items()},
        "criteria": {str(k): sorted(v) for k, v in criteria.items() if k in families},
    }
    window.drawn_at, window.drawn_by = now, actor
    window.save(update_fields=["seed", "draw", "drawn_at", "drawn_by"])
    audit_log(
        organisation=window.organisation,
        actor=actor,
        action="bookings.allocation_run",
        target=window,
        data={"seed": str(window.seed), "granted": len(result.granted)},
    )
    return result


def _store(window: RequestWindow, requests: list[PlaceRequest], result: Allocation) -> None:
    waiting_rank = {key: index for index, key in enumerate(result.waiting, start=1)}
    for request in requests:
        key = (request.child_id, request.day)
        if key in result.granted:
            request.result, request.rank = PlaceRequest.Result.GRANTED, result.granted[key]
        else:
            request.result, request.rank = PlaceRequest.Result.WAITING, waiting_rank[key]
        request.split = key in result.split
    # Written again as new rows: one DELETE and one INSERT, where an UPDATE per row (or
    # bulk_update's CASE per row) took seconds for 2,000 requests. Nothing refers to a
    # request's id, and the window is locked.
    PlaceRequest.objects.filter(window=window).delete()
    for request in requests:
        request.pk = None
    PlaceRequest.objects.bulk_create(requests, batch_size=1000)


@dataclass
class PublishReport:
    granted: int
    waiting: int
    families: int
    emailed: int
    refused: int = 0


@transaction.atomic
def allocation_publish_ask(*, actor: User, window: RequestWindow, now: datetime | None = None):
    """Staff publish the checked draw: the booking is done by a background task (every
    answer goes through the booking service, seconds for a large session); meanwhile the
    draw can no longer change."""
    _require_manager(actor)
    window = _lock_unpublished(window)
    if window.drawn_at is None:
        raise DomainError(_("Run the draw and check it before publishing it."))
    window.publish_asked_at, window.published_by = now or timezone.now(), actor
    window.save(update_fields=["publish_asked_at", "published_by"])
    transaction.on_commit(
        partial(allocation_publish_task.enqueue, window.organisation_id, window.pk, actor.pk)
    )


@task()
def allocation_publish_task(organisation_id: int, window_id: int, actor_id: int) -> None:
    with organisation_scope(organisation_id):
        window = RequestWindow.objects.get(pk=window_id)
        if window.published_at is not None:
            return
        try:
            allocation_publish(actor=User.objects.get(pk=actor_id), window=window, asked=True)
        except Exception as error:
            # Never stuck "being published": the draw is handed back to staff with the
            # reason, and the days stay given by the draw until it is published.
            logger.exception("publishing the draw of window %s failed", window_id)
            message = (
                error.message if isinstance(error, DomainError) else str(_("unexpected error"))
            )
            with transaction.atomic():
                window = RequestWindow.objects.select_for_update(of=("self",)).get(pk=window_id)
                window.publish_asked_at = None
                window.draw = {**window.draw, "publish_error": str(message)}
                window.save(update_fields=["publish_asked_at", "draw"])


@transaction.atomic
def allocation_publish(
    *, actor: User, window: RequestWindow, now: datetime | None = None, asked: bool = False
) -> PublishReport:
    """Turn the draw's answer into bookings through the booking service: the places given
    first (in the order served), then the waiting list in draw order. Each family is told
    what was really booked (a family's days may be refused at this point: its file not
    certified, a day closed since the draw), in one e-mail. Publishing twice is refused.
    `asked`: the task doing what staff asked with `allocation_publish_ask` (whose
    permission was checked then)."""
    if not asked:
        _require_manager(actor)
    now = now or timezone.now()
    window = _lock_unpublished(window, asked=asked)
    if window.drawn_at is None:
        raise DomainError(_("Run the draw and check it before publishing it."))
    requests = list(PlaceRequest.objects.filter(window=window).select_related("family", "child"))
    reason = _("Holiday session draw: %(session)s") % {"session": window.period.name}
    families = {r.family_id: r.family for r in requests}
    answers: dict[int, list[DayOutcome]] = defaultdict(list)
    tick = 0
    for result in (PlaceRequest.Result.GRANTED, PlaceRequest.Result.WAITING):
        # One booking action per family and answer. Places given first, so none is taken
        # by a waiting child; then the waiting lists, family by family in the draw's
        # order (a waiting list is ordered by request time: each family its own instant).
        by_family: dict[int, list[PlaceRequest]] = {}
        for request in sorted(
            (r for r in requests if r.result == result), key=lambda r: r.rank or 0
        ):
            by_family.setdefault(request.family_id, []).append(request)
        for family_id, own in by_family.items():
            tick += 1
            changes = [Change(r.child_id, window.unit_id, r.day) for r in own]
            try:
                report = bookings_apply(
                    actor=actor,
                    family=families[family_id],
                    changes=changes,
                    now=now + timedelta(microseconds=tick),
                    source=BookingAction.Source.ALLOCATION,
                    override_reason=reason,
                    notify=False,
                )
            except DomainError as error:  # the child left the family since the draw…
                answers[family_id].extend(
                    DayOutcome(
                        change,
                        Result.REFUSED,
                        Refusal.BLOCKED,
                        message=error.message,
                        child_name=request.child.first_name,
                    )
                    for change, request in zip(changes, own, strict=True)
                )
            else:
                answers[family_id].extend(report.outcomes)
    counts = Counter(
        "booked" if o.result in (Result.BOOKED, Result.REQUESTED) else str(o.result)
        for outcomes in answers.values()
        for o in outcomes
    )
    emailed = _tell_families(window, answers, families)
    published = {
        "granted": counts["booked"],
        "waiting": counts[Result.WAITING],
        "refused": counts[Result.REFUSED],
        "emailed": emailed,
    }
    window.published_at, window.published_by = now, actor
    window.draw = {**window.draw, "published": published}
    window.draw.pop("publish_error", None)
    window.save(update_fields=["published_at", "published_by", "draw"])
    audit_log(
        organisation=window.organisation,
        actor=actor,
        action="bookings.allocation_published",
        target=window,
        data=published,
    )
    return PublishReport(
        counts["booked"], counts[Result.WAITING], len(families), emailed, counts[Result.REFUSED]
    )


def _tell_families(window, answers: dict[int, list[DayOutcome]], families) -> int:
    """One e-mail per family: each day asked for and what became of it, in the words of
    the booking report (drawn in each guardian's language)."""
    emailed = 0
    for family_id, outcomes in sorted(answers.items()):
        emailed += family_email(
            family=families[family_id],
            template="place_requests_answered",
            context={
                "session": window.period.name,
                "unit": window.unit,
                "outcomes": sorted(outcomes, key=lambda o: (o.change.day, o.child_name)),
            },
        )
    return emailed


def _reset_draw(window: RequestWindow) -> None:
    """What the draw answered no longer holds (a bonus or a weight changed): the answer
    is run again before publishing; the seed is kept, so only the change moves places."""
    if window.drawn_at is not None:
        window.drawn_at, window.drawn_by, window.draw = None, None, {}
        PlaceRequest.objects.filter(window=window).update(
            result=PlaceRequest.Result.PENDING, rank=None, split=False
        )


@transaction.atomic
def request_window_change(
    *,
    actor: User,
    window: RequestWindow,
    opens_at: datetime,
    closes_at: datetime,
    weights: dict[str, int],
    siblings_together: bool,
) -> RequestWindow:
    _require_manager(actor)
    window = _lock_unpublished(window)
    if closes_at <= opens_at:
        raise DomainError(_("The window must close after it opens."))
    first_day = timezone.make_aware(datetime.combine(window.period.start, datetime.min.time()))
    if closes_at > first_day:
        raise DomainError(_("Requests must close before the session's first day."))
    window.opens_at, window.closes_at, window.siblings_together = (
        opens_at,
        closes_at,
        siblings_together,
    )
    window.weights = {str(k): int(v) for k, v in weights.items()}
    _reset_draw(window)
    window.save()
    audit_log(
        organisation=window.organisation,
        actor=actor,
        action="bookings.request_window_changed",
        target=window,
        data={"weights": window.weights, "closes_at": closes_at.isoformat()},
    )
    return window


@transaction.atomic
def request_window_bonus_set(
    *, actor: User, window: RequestWindow, family: Family, points: int, note: str
) -> None:
    """Staff give a family points in this draw (a social situation…), with the reason."""
    _require_manager(actor)
    window = _lock_unpublished(window)
    if not 0 <= points <= MAX_BONUS:
        raise DomainError(_("A bonus is from 0 to %(max)s points.") % {"max": MAX_BONUS})
    note = note.strip()
    if points and not note:
        raise DomainError(_("Say why the family gets these points."))
    bonuses = dict(window.bonuses)
    if points:
        bonuses[str(family.pk)] = {"points": points, "note": note[:200]}
    else:
        bonuses.pop(str(family.pk), None)
    window.bonuses = bonuses
    _reset_draw(window)
    window.save()
    audit_log(
        organisation=window.organisation,
        actor=actor,
        action="bookings.request_window_changed",
        target=window,
        data={"family": family.pk, "bonus": points, "note": note[:200]},
    )


@dataclass
class FamilyLine:
    family: Family
    requests: list[PlaceRequest]
    criteria: list[str]
    bonus: int
    note: str
    points: int
    draw_position: int | None


@dataclass
class DayLine:
    day: date
    places: int | None
    asked: int
    granted: list[PlaceRequest]
    waiting: list[PlaceRequest]


@dataclass
class WindowOverview:
    window: RequestWindow
    days: list[DayLine]
    families: list[FamilyLine]


def window_overview(window: RequestWindow) -> WindowOverview:
    """The staff page of a window: each day's places and requests, each family's
    priorities and, once drawn, the answer. A fixed number of queries."""
    requests = list(PlaceRequest.objects.filter(window=window).select_related("child", "family"))
    families = {r.family_id: r.family for r in requests}
    drawn = window.drawn_at is not None and "points" in window.draw
    # Once drawn, what the draw used (kept for audit), not what the files say today.
    criteria: dict[int, set[str]] = (
        defaultdict(set, {int(k): set(v) for k, v in window.draw.get("criteria", {}).items()})
        if drawn
        else family_criteria(window, list(families.values()))
    )
    draw_position = {family_id: i for i, family_id in enumerate(window.draw.get("draw", []), 1)}
    by_family: dict[int, list[PlaceRequest]] = defaultdict(list)
    by_day: dict[date, list[PlaceRequest]] = defaultdict(list)
    for request in requests:
        by_family[request.family_id].append(request)
        by_day[request.day].append(request)
    lines = []
    for family_id, own in by_family.items():
        bonus = window.bonuses.get(str(family_id), {})
        met = sorted(criteria[family_id])
        points = (
            int(window.draw["points"].get(str(family_id), 0))
            if drawn
            else int(bonus.get("points", 0)) + sum(window.weights.get(c, 0) for c in met)
        )
        lines.append(
            FamilyLine(
                families[family_id],
                sorted(own, key=lambda r: (r.day, r.child.first_name)),
                met,
                int(bonus.get("points", 0)),
                bonus.get("note", ""),
                points,
                draw_position.get(family_id),
            )
        )
    lines.sort(key=lambda line: (-line.points, line.draw_position or 0, line.family.name))
    places = _places(window) if requests else {}
    days = [
        DayLine(
            day,
            places.get(day),
            len(asked),
            sorted(
                (r for r in asked if r.result == PlaceRequest.Result.GRANTED),
                key=lambda r: r.rank or 0,
            ),
            sorted(
                (r for r in asked if r.result == PlaceRequest.Result.WAITING),
                key=lambda r: r.rank or 0,
            ),
        )
        for day, asked in sorted(by_day.items())
    ]
    return WindowOverview(window, days, lines)


@dataclass
class FamilyWindow:
    window: RequestWindow
    days: list[date]  # the session's open days
    children: list[Child]
    asked: dict[tuple[int, date], PlaceRequest]
    booked: dict[tuple[int, date], str]  # live booking states, once published
    # Children who may ask (enrolled when the activity needs it), and the others' reason.
    may_ask: set[int] = field(default_factory=set)
    not_enrolled: list[Child] = field(default_factory=list)
    pending: list[Child] = field(default_factory=list)

    def grid(self) -> list[tuple[date, list[tuple[Child, bool, str]]]]:
        """Day by day, each child who may ask: asked for, and the booking's state once
        published."""
        children = [c for c in self.children if c.pk in self.may_ask]
        return [
            (
                day,
                [
                    (child, (child.pk, day) in self.asked, self.booked.get((child.pk, day), ""))
                    for child in children
                ],
            )
            for day in self.days
        ]


def family_windows(family: Family, now: datetime) -> list[FamilyWindow]:
    """The request windows a family sees: open, to come, or answered, for sessions that
    have not ended; with the session's open days and the family's requests."""
    children = list(Child.objects.filter(families=family).order_by("birth_date", "pk"))
    windows = list(
        RequestWindow.objects.filter(period__end__gte=timezone.localdate(now))
        .select_related("period", "unit__activity", "organisation")
        .order_by("period__start")
    )
    if not windows or not children:
        return []
    requests = PlaceRequest.objects.filter(window__in=windows, family=family).select_related(
        "child"
    )
    asked: dict[int, dict] = defaultdict(dict)
    for request in requests:
        asked[request.window_id][request.child_id, request.day] = request
    # (child, activity) -> the enrollments' statuses over the sessions (one query).
    enrollments: dict[tuple[int, int], set[str]] = defaultdict(set)
    for child_id, activity_id, status, start, end in Enrollment.objects.filter(
        child__in=children,
        activity__in={w.unit.activity_id for w in windows},
        status__in=[EnrollmentStatus.VALIDATED, EnrollmentStatus.PENDING],
    ).values_list("child_id", "activity_id", "status", "start", "end"):
        for window in windows:
            if (
                window.unit.activity_id == activity_id
                and start <= window.period.end
                and (end >= window.period.start)
            ):
                enrollments[child_id, window.pk].add(status)
    result = []
    for window in windows:
        period = window.period
        catalogue = catalogue_for([window.unit.activity_id], period.start, period.end)
        holidays = holidays_for(window.organisation, period.start, period.end)
        calendar = catalogue.calendars[window.unit.activity_id]
        days = [
            day
            for day in days_between(period.start, period.end)
            if opening(calendar, day, holidays) is None
        ]
        booked = {}
        if window.published_at is not None:
            booked = {
                (child_id, day): state
                for child_id, day, state in Booking.objects.filter(
                    unit=window.unit,
                    child__in=children,
                    day__gte=period.start,
                    day__lte=period.end,
                    state__in=sorted(LIVE),
                ).values_list("child_id", "day", "state")
            }
        item = FamilyWindow(window, days, children, asked[window.pk], booked)
        for child in children:
            statuses = enrollments[child.pk, window.pk]
            if not window.unit.activity.requires_enrollment or (
                EnrollmentStatus.VALIDATED in statuses
            ):
                item.may_ask.add(child.pk)
            elif statuses:
                item.pending.append(child)
            else:
                item.not_enrolled.append(child)
        result.append(item)
    return result
