"""Billing runs (SPEC §6, seed 000 "factures du mois précédent"): a month of some
activities → a draft invoice per family → reviewed (a family left out, or drafted again
after its file was fixed) → issued: numbered without gaps, dated, frozen.

Work in sets: a run reads each table once per batch of families (each child's days grouped
by the database), prices in memory with the pure `billing.pricing`, and writes invoices,
lines and billed days with one statement each (10,000 families, ~400,000 days, in
seconds). A day is billed once: its `BilledDay` row (keyed by the booking) keeps any later
run off it; when a billed day's booking no longer says the same (an absence excused
afterwards), the next run takes it back with an adjustment line (the row moves to
`ReversedDay`) and bills it as it now stands.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from itertools import pairwise

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.models import User
from perisco.activities.models import Activity, Unit
from perisco.billing.billable import BILLED, Billed, billed
from perisco.billing.models import (
    BilledDay,
    BillingRun,
    CreditNote,
    Invoice,
    InvoiceLine,
    Payment,
    ReversedDay,
    Tariff,
)
from perisco.billing.notices import invoices_announce_task
from perisco.billing.payments import allocate, lock_family, require_billing
from perisco.billing.pricing import (
    BillableDay,
    BillableDays,
    Line,
    Memo,
    Part,
    Valid,
    family_lines,
)
from perisco.billing.tariffs import Per, line_amount
from perisco.bookings.models import AttendanceMark, Booking, BookingChange
from perisco.bookings.states import State
from perisco.core.audit import audit_log
from perisco.core.bulk import collector_paused, copy_rows, copy_rows_with_ids, copy_text
from perisco.core.errors import DomainError
from perisco.core.models import Organisation
from perisco.core.money import ZERO
from perisco.core.scoping import organisation_scope
from perisco.core.sequences import next_values
from perisco.families.models import Child, Family, FamilyQuotient, Guardian
from perisco.families.selectors import guardian_is_resident

logger = logging.getLogger(__name__)

BATCH = 2500  # families drafted at most per transaction (the progress bar moves between)
BILLED_STATES = (State.CONFIRMED, State.CANCEL_REQUESTED)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


# Asking ----------------------------------------------------------------------------------


@transaction.atomic
def run_create(
    *, actor: User, month: date, activities: Sequence[Activity], now: datetime | None = None
) -> BillingRun:
    """Ask for the drafts of `month` for `activities`; a background task prepares them."""
    require_billing(actor)
    organisation = actor.organisation
    assert organisation is not None  # staff belong to one
    month = month.replace(day=1)
    today = timezone.localdate(now or timezone.now())
    if month > today.replace(day=1):
        raise DomainError(_("This month has not begun: it cannot be billed yet."), field="month")
    if not activities:
        raise DomainError(_("Choose the activities to bill."), field="activities")
    if BillingRun.objects.filter(state__in=BillingRun.OPEN).exists():
        raise DomainError(_("A billing run is already in progress: issue or discard it first."))
    try:
        with transaction.atomic():
            run = BillingRun.objects.create(
                organisation=organisation, month=month, created_by=actor
            )
    except IntegrityError:  # another officer started one at the same moment
        raise DomainError(
            _("A billing run is already in progress: issue or discard it first.")
        ) from None
    run.activities.set(activities)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="billing.run_created",
        target=run,
        data={"month": month.isoformat(), "activities": [a.pk for a in activities]},
    )
    transaction.on_commit(partial(run_draft_task.enqueue, organisation.pk, run.pk))
    return run


@task()
def run_draft_task(organisation_id: int, run_id: int) -> None:
    with organisation_scope(organisation_id):
        try:
            run_draft(run_id)
        except Exception as error:
            # Never stuck "preparing": the run is discarded with the reason, its drafts gone.
            logger.exception("drafting billing run %s failed", run_id)
            _fail(run_id, error)


def _fail(run_id: int, error: Exception) -> None:
    message = error.message if isinstance(error, DomainError) else _("unexpected error")
    with transaction.atomic():
        run = _run_locked(run_id)
        _drafts_delete(run, Invoice.objects.filter(run=run).exclude(state=Invoice.State.ISSUED))
        run.state, run.error = BillingRun.State.DISCARDED, str(message)
        run.save(update_fields=["state", "error"])


# Drafting --------------------------------------------------------------------------------


# Batches drafted at once on PostgreSQL, each on a connection of its own: Python prices
# one while the database reads or writes the other (docs/performance.md).
DRAFTERS = 2


@collector_paused()
def run_draft(run_id: int, *, families: Iterable[int] | None = None) -> None:
    """Prepare the run's drafts, a batch of families per transaction (the progress bar
    reads between them). Idempotent: a family that has a draft in the run is skipped."""
    run = BillingRun.objects.select_related("organisation").get(pk=run_id)
    if run.state != BillingRun.State.DRAFTING and families is None:
        return
    scope = _Scope.of(run)
    ids = sorted(set(families) if families is not None else scope.families_to_bill())
    if families is None:
        BillingRun.objects.filter(pk=run.pk).update(progress_total=len(ids), progress_done=0)
    batches = _batches(ids)
    draft = partial(_draft_batch_alone, run, scope, progress=families is None)
    # Inside a transaction (the tests), other connections would not see its rows.
    if connection.vendor == "postgresql" and len(batches) > 1 and not connection.in_atomic_block:
        results = _in_threads(draft, batches, run.organisation_id)
    else:
        results = [draft(batch) for batch in batches]
    if None in results:  # discarded meanwhile
        return
    unpriced = sum(r for r in results if r is not None)
    with transaction.atomic():
        run = _run_locked(run_id)
        summary = {**run.summary, "unpriced": run.summary.get("unpriced", 0) + unpriced}
        if families is None:
            summary["unpriced"] = unpriced
        run.summary = summary
        if run.state == BillingRun.State.DRAFTING:
            run.state = BillingRun.State.DRAFT
        run.save(update_fields=["summary", "state"])


def _batches(ids: list[int]) -> list[list[int]]:
    """`ids` cut in batches of at most BATCH, of the same size but the first and the last,
    a half: two drafters then end together, and stay half a batch apart meanwhile, one
    pricing in Python while the database reads or writes the other's (not both at once).
    0.4 to 0.8 s less for 10,000 families (docs/performance.md)."""
    count = DRAFTERS * -(-len(ids) // (DRAFTERS * BATCH))
    size = -(-len(ids) // count) if ids else 1
    cuts = [0, *range(size // 2 or size, len(ids), size), len(ids)]
    return [ids[start:end] for start, end in pairwise(cuts) if end > start]


def _draft_batch_alone(
    run: BillingRun, scope: "_Scope", batch: list[int], *, progress: bool
) -> int | None:
    """Draft a batch in a transaction of its own; None if the run is no longer drafting.
    Batches share the run's lock (`_run_locked`): they draft side by side, whoever
    discards or reviews the run waits for those in progress. A family already drafted
    (by another drafter of the run meanwhile: one invoice per family and run, a day
    billed once) is skipped on a second try."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                _no_jit()
                _run_lock(run.pk, shared=True)
                state = BillingRun.objects.values_list("state", flat=True).get(pk=run.pk)
                if state not in (BillingRun.State.DRAFTING, BillingRun.State.DRAFT):
                    return None
                done = set(
                    Invoice.objects.filter(run=run)
                    .filter(_id_range("family_id", batch))
                    .values_list("family_id", flat=True)
                )
                unpriced = _draft_batch(run, scope, [f for f in batch if f not in done])
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if progress:
        BillingRun.objects.filter(pk=run.pk).update(progress_done=F("progress_done") + len(batch))
    return unpriced


# PostgreSQL advisory locks of billing runs: (this namespace, the run's id).
_RUN_LOCKS = 0x6269_6C6C  # "bill"


def _run_lock(run_id: int, *, shared: bool = False) -> None:
    """Lock the run until the transaction ends, in a queue that is fair (an advisory lock,
    not the row's: there, drafting batches one after the other would starve a discard)."""
    if connection.vendor != "postgresql":  # SQLite: one writer at a time anyway
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_RUN_LOCKS, run_id])


def _run_locked(run_id: int) -> BillingRun:
    """The run, locked against its drafting batches and anyone else changing it."""
    _run_lock(run_id)
    return BillingRun.objects.select_for_update().get(pk=run_id)


def _in_threads(draft, batches: list[list[int]], organisation_id: int) -> list[int | None]:
    """`draft` each batch, DRAFTERS at a time, each thread on its own connection (closed
    when its batch is done). The first error cancels the batches not begun and is raised
    once those in progress are done."""

    def alone(batch: list[int]) -> int | None:
        try:
            with organisation_scope(organisation_id):
                return draft(batch)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=DRAFTERS) as pool:
        futures = [pool.submit(alone, batch) for batch in batches]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()
        for future in finished:
            future.result()  # raises the first error
    return [future.result() for future in futures]


def _no_jit() -> None:
    """PostgreSQL's JIT compiles a batch's reads for ~0.2 s each to save less than that:
    off for the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


# A day added or corrected after its month was billed is billed, or taken back, by a run
# of one of the next months, up to this many months later (then: a credit note).
REVISION_MONTHS = 3


def months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class _Scope:
    """What a run bills: its activities' days of its month, and of the months before it
    that were already billed (a day added or corrected after its month's run), up to
    REVISION_MONTHS back."""

    activity_ids: list[int]
    start: date
    end: date
    tariffs: dict[int, list[Valid]] = field(default_factory=dict)
    units: dict[int, dict] = field(default_factory=dict)
    late_share_units: set[int] = field(default_factory=set)
    half_hour_units: set[int] = field(default_factory=set)
    reversals: dict[int, list["_Reversal"]] = field(default_factory=dict)  # by family

    @classmethod
    def of(cls, run: BillingRun) -> "_Scope":
        activity_ids = list(run.activities.values_list("pk", flat=True))
        first = (
            BillingRun.objects.filter(state=BillingRun.State.ISSUED).aggregate(m=Min("month"))["m"]
            or run.month
        )
        start = max(min(first, run.month), months_before(run.month, REVISION_MONTHS))
        scope = cls.build(activity_ids, start, month_end(run.month))
        for reversal in _reversals(scope):
            scope.reversals.setdefault(reversal.family_id, []).append(reversal)
        return scope

    @classmethod
    def build(cls, activity_ids: list[int], start: date, end: date) -> "_Scope":
        scope = cls(activity_ids, start, end)
        for tariff in Tariff.objects.filter(unit__activity_id__in=activity_ids).order_by(
            "valid_from"
        ):
            scope.tariffs.setdefault(tariff.unit_id, []).append(
                Valid(tariff.valid_from, tariff.valid_until, tariff.rule())
            )
            if tariff.late_cancellation_share:
                scope.late_share_units.add(tariff.unit_id)
            if tariff.per == Per.HALF_HOUR:
                scope.half_hour_units.add(tariff.unit_id)
        for unit in Unit.objects.filter(activity_id__in=activity_ids).values(
            "pk", "name", "start_time", "end_time", "activity__name"
        ):
            scope.units[unit["pk"]] = dict(unit)
        return scope

    def bookings(self) -> Q:
        return Q(activity_id__in=self.activity_ids, day__gte=self.start, day__lte=self.end)

    def families_to_bill(self) -> list[int]:
        """The families with bookings in the run's days that may be billed. Whether a day
        is billed already is left to the batches, which read the same days anyway: here it
        would cost a lookup per booking of the town (~0.5 s a run)."""
        booked = Booking.objects.filter(self.bookings(), state__in=BILLED_STATES)
        families = set(booked.order_by().values_list("family_id", flat=True).distinct())
        if self.late_share_units:
            families |= set(
                self._late_cancelled().order_by().values_list("family_id", flat=True).distinct()
            )
        return sorted(families | set(self.reversals))

    def _late_cancelled(self, held: QuerySet[BilledDay] | None = None):
        """Cancellations asked after the deadline and granted, in units that bill them, not
        billed yet (`held`: the billed days that count)."""
        cancelled = Booking.objects.filter(
            self.bookings(), state=State.CANCELLED, unit_id__in=self.late_share_units
        ).filter(
            Exists(
                BookingChange.objects.filter(
                    booking=OuterRef("pk"),
                    before_state=State.CANCEL_REQUESTED,
                    after_state=State.CANCELLED,
                )
            ),
        )
        return _not_billed(cancelled, held)


def _not_billed(bookings: QuerySet[Booking], held: QuerySet[BilledDay] | None = None):
    """`bookings` without a billed day (among `held`, by default all). Looked up by
    primary key for each booking, not joined: a run adds ~100,000 days a batch, unknown to
    the planner's statistics until the table is analysed, and an anti-join planned on an
    empty table's statistics went quadratic (a town's run did not end in 10 minutes)."""
    held = BilledDay.objects.all() if held is None else held
    first = held.filter(booking=OuterRef("pk")).values("booking")[:1]
    return bookings.annotate(billed_on=Subquery(first)).filter(billed_on__isnull=True)


def _id_range(field: str, ids: Sequence[int]) -> Q:
    """The rows of `ids` and of the ids between them, to be filtered in Python: a batch's
    families are a slice of the sorted ids, and a range reads faster than 2,000 values."""
    return Q(**{f"{field}__gte": min(ids), f"{field}__lte": max(ids)})


def _billed_case() -> Case:
    """`billing.billable.BILLED` as SQL: how each booking is billed, read with it."""
    return Case(
        *(
            When(state=state, outcome=outcome, then=Value(status.value))
            for (state, outcome), status in BILLED.items()
            if status != Billed.NO
        ),
        default=Value(Billed.NO.value),
        output_field=CharField(),
    )


# A family's days grouped by child, unit and how they are billed: (family, child, unit,
# billed, days, bookings), the days in order.
_Group = tuple[int, int, int, str, list[date], list[int]]


def _grouped(bookings, billed: Value | Case) -> Iterable[_Group]:
    """`bookings` read a group per child, unit and how they are billed: on PostgreSQL
    aggregated by the database (~20,000 rows for a town's month, not ~400,000)."""
    bookings = bookings.order_by().annotate(billed_as=billed)
    if connection.vendor == "postgresql":
        return (
            bookings.values("family_id", "child_id", "unit_id", "billed_as")
            .annotate(days=ArrayAgg("day", order_by="day"), ids=ArrayAgg("pk", order_by="day"))
            .values_list("family_id", "child_id", "unit_id", "billed_as", "days", "ids")
        )
    groups: dict[tuple[int, int, int, str], list[tuple[date, int]]] = defaultdict(list)
    for pk, family, child, unit, day, status in bookings.values_list(
        "pk", "family_id", "child_id", "unit_id", "day", "billed_as"
    ):
        groups[family, child, unit, status].append((day, pk))
    return (
        (*key, *(list(column) for column in zip(*sorted(days), strict=True)))  # type: ignore[misc]
        for key, days in groups.items()
    )


def _billable_days(
    scope: _Scope, family_ids: list[int], *, drafts_count: bool = True
) -> tuple[dict[int, list[BillableDays]], list["_Reversal"]]:
    """The families' days to bill (by family) and the billed days to take back.
    `drafts_count`: a day on a draft invoice is billed already (an estimate sees it as not
    billed yet)."""
    held = BilledDay.objects.all()
    if not drafts_count:
        held = held.filter(line__invoice__state=Invoice.State.ISSUED)
    families = _id_range("family_id", family_ids)
    groups = list(
        _grouped(
            _not_billed(
                Booking.objects.filter(scope.bookings(), families, state__in=BILLED_STATES), held
            ),
            _billed_case(),
        )
    )
    if scope.late_share_units:
        late = scope._late_cancelled(held).filter(families)
        groups += _grouped(late, Value(Billed.LATE_CANCELLATION.value))
    reversals = [r for f in family_ids for r in scope.reversals.get(f, ())]
    wanted = set(family_ids)
    days: dict[int, list[BillableDays]] = defaultdict(list)
    times = _times(scope, [(g[2], g[1], g[4]) for g in groups if g[2] in scope.half_hour_units])
    for family_id, child_id, unit_id, status, group_days, bookings in groups:
        if family_id not in wanted or status == Billed.NO:  # a range of ids: another batch's
            continue
        group_times: tuple = ()
        if unit_id in scope.half_hour_units:
            group_times = tuple(times.get((unit_id, d, child_id), (None, None)) for d in group_days)
        days[family_id].append(
            BillableDays(child_id, unit_id, Billed(status), group_days, bookings, group_times)
        )
    # Days taken back are billed again as they now stand.
    again = [r for r in reversals if r.now_billed != Billed.NO]
    times = _times(scope, [(r.unit_id, r.child_id, (r.day,)) for r in again])
    for r in again:
        arrival, departure = times.get((r.unit_id, r.day, r.child_id), (None, None))
        days[r.family_id].append(
            BillableDays(
                r.child_id,
                r.unit_id,
                r.now_billed,
                [r.day],
                [r.booking_id],
                ((arrival, departure),) if r.unit_id in scope.half_hour_units else (),
            )
        )
    return days, reversals


@dataclass
class _Priced:
    lines: dict[int, tuple[list[Line], list[BillableDay]]]  # family -> (lines, unpriced)
    children: dict[int, tuple[str, date]]
    households: dict[int, "_Household"]


def _price(
    scope: _Scope,
    organisation: Organisation,
    families: list[int],
    days: dict[int, list[BillableDays]],
    more_children: set[int] = frozenset(),  # type: ignore[assignment]
) -> _Priced:
    children = _children({g.child_id for gs in days.values() for g in gs} | more_children)
    quotients = _quotients(families, scope)
    households = _households(families, organisation)
    unit_minutes = {
        pk: _minutes(u["start_time"], u["end_time"])
        for pk, u in scope.units.items()
        if pk in scope.half_hour_units
    }
    births = {child: birth for child, (_name, birth) in children.items()}
    memo = Memo()
    lines = {
        family_id: family_lines(
            days.get(family_id, ()),
            tariffs=scope.tariffs,
            quotients=quotients.get(family_id, ()),
            birth_dates=births,
            unit_minutes=unit_minutes,
            resident=households[family_id].resident,
            memo=memo,
        )
        for family_id in families
    }
    return _Priced(lines, children, households)


def _draft_batch(run: BillingRun, scope: _Scope, family_ids: list[int]) -> int:
    """Draft the invoices of `family_ids`; returns the number of days left unpriced."""
    if not family_ids:
        return 0
    days, reversals = _billable_days(scope, family_ids)
    adjustments: dict[int, list[_Reversal]] = defaultdict(list)
    invoice_lines: list[tuple[list[Line], list[tuple[Line, list[int]]]]] = []
    for reversal in reversals:
        adjustments[reversal.family_id].append(reversal)
    billed_families = sorted(set(days) | set(adjustments))
    if not billed_families:
        return 0
    priced = _price(scope, run.organisation, billed_families, days, {r.child_id for r in reversals})
    children, households = priced.children, priced.households
    sender = _sender(run.organisation)
    now = timezone.now()
    invoices: list[tuple[int, Decimal]] = []
    unpriced = 0
    for family_id in billed_families:
        lines, missing = priced.lines[family_id]
        unpriced += len(missing)
        adjusting = adjustments.get(family_id, [])
        if not lines and not adjusting:
            continue
        total = sum((line.amount for line in lines), ZERO) - sum(
            (r.amount for r in adjusting), ZERO
        )
        invoices.append((family_id, total))
        invoice_lines.append((lines, _adjustment_lines(adjusting)))
    if not invoices:
        return unpriced
    invoice_ids = copy_rows_with_ids(
        Invoice,
        (
            "organisation",
            "run",
            "family",
            "state",
            "month",
            "total",
            "previous_balance",
            "settled",
            "family_number",
            "recipient",
            "sender",
            "created_at",
            "pdf",
        ),
        [
            (
                run.organisation_id,
                run.pk,
                family_id,
                Invoice.State.DRAFT.value,
                run.month,
                total,
                ZERO,
                ZERO,
                households[family_id].number,
                households[family_id].recipient,
                sender,
                now,
                "",
            )
            for family_id, total in invoices
        ],
    )
    line_rows, day_rows, adjusted = [], [], []
    dates = _Dates()
    for invoice_id, (lines, adjustment_lines) in zip(invoice_ids, invoice_lines, strict=True):
        position = 0
        for line in lines:
            position += 1
            line_rows.append(_line_row(invoice_id, position, line, scope, children, dates))
            day_rows.append(line.parts)
        for adjustment, reversed_days in adjustment_lines:
            position += 1
            line_rows.append(
                _line_row(invoice_id, position, adjustment, scope, children, dates, True)
            )
            day_rows.append(())
            adjusted.append((len(line_rows) - 1, reversed_days))
    line_ids = copy_rows_with_ids(InvoiceLine, _LINE_FIELDS, line_rows)
    _take_back([(line_ids[index], days) for index, days in adjusted])
    _billed_days_write(run.organisation_id, zip(line_ids, day_rows, strict=True))
    return unpriced


_BILLED_DAY_FIELDS = ("booking", "line", "organisation", "quantity", "billed")


def _billed_days_write(organisation: int, lines: Iterable[tuple[int, tuple[Part, ...]]]) -> None:
    """A row per day of each line's parts: on PostgreSQL formatted a part at a time."""
    if connection.vendor != "postgresql":
        copy_rows(
            BilledDay,
            _BILLED_DAY_FIELDS,
            (
                (booking, line_id, organisation, quantity, part.billed.value)
                for line_id, parts in lines
                for part in parts
                for booking, quantity in zip(
                    part.bookings, part.quantities or [1] * len(part.bookings), strict=True
                )
            ),
        )
        return
    copy_text(BilledDay, _BILLED_DAY_FIELDS, _billed_days_text(organisation, lines))


def _billed_days_text(organisation: int, lines) -> Iterable[str]:
    for line_id, parts in lines:
        for part in parts:
            if not part.bookings:
                continue
            status = part.billed.value
            if part.quantities is None:  # one each: the same row but for the booking
                tail = f"\t{line_id}\t{organisation}\t1\t{status}\n"
                yield tail.join(map(str, part.bookings)) + tail
            else:
                yield "".join(
                    f"{booking}\t{line_id}\t{organisation}\t{quantity}\t{status}\n"
                    for booking, quantity in zip(part.bookings, part.quantities, strict=True)
                )


_LINE_FIELDS = (
    "invoice",
    "kind",
    "child",
    "child_name",
    "unit",
    "unit_name",
    "label",
    "missing_qf",
    "per",
    "unit_price",
    "quantity",
    "reduction",
    "surcharge",
    "share",
    "amount",
    "days",
    "position",
)


class _Dates(dict):
    """Each date's ISO text, made once a batch: a run writes ~400,000 days in its lines."""

    def __init__(self) -> None:
        super().__init__()
        self.postgresql = connection.vendor == "postgresql"

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


def _line_row(
    invoice_id, position, line: Line, scope, children, dates: _Dates, adjustment=False
) -> tuple:
    unit = scope.units.get(line.unit_id) or {"name": "", "activity__name": ""}
    kind = InvoiceLine.Kind.ADJUSTMENT if adjustment else InvoiceLine.Kind.SERVICE
    days: list[str] | str = [dates[d] for d in line.days]
    if dates.postgresql:  # COPY's text for jsonb
        days = '["' + '", "'.join(days) + '"]' if days else "[]"
    return (
        invoice_id,
        kind.value,
        line.child_id,
        children[line.child_id][0],
        line.unit_id,
        f"{unit['activity__name']} — {unit['name']}",
        line.label,
        line.missing_qf,
        line.per,
        line.unit_price,
        line.quantity,
        line.reduction,
        line.surcharge,
        line.share,
        line.amount,
        days,
        position,
    )


@dataclass(frozen=True)
class _Reversal:
    """A billed day to take back: its booking no longer says what was billed."""

    booking_id: int  # its billed day's key
    family_id: int
    child_id: int
    unit_id: int
    day: date
    quantity: int
    amount: Decimal
    line: tuple  # (label, unit_price, reduction, surcharge, share, per, missing_qf)
    now_billed: Billed


def _reversals(scope: _Scope) -> list[_Reversal]:
    """Days billed on issued invoices whose booking no longer says what was billed (an
    absence excused, a presence recorded, a cancellation granted after the invoice)."""
    candidates = (
        BilledDay.objects.filter(
            line__invoice__state=Invoice.State.ISSUED,
            booking__activity_id__in=scope.activity_ids,
            booking__day__gte=scope.start,
            booking__day__lte=scope.end,
        )
        .filter(
            ~Q(booking__state__in=BILLED_STATES)
            | Q(booking__updated_at__gt=F("line__invoice__created_at"))
        )
        .order_by()
    )
    values = list(
        candidates.values_list(
            "pk",
            "billed",
            "quantity",
            "booking_id",
            "booking__family_id",
            "booking__child_id",
            "booking__unit_id",
            "booking__day",
            "booking__state",
            "booking__outcome",
            "line__label",
            "line__unit_price",
            "line__reduction",
            "line__surcharge",
            "line__share",
            "line__per",
            "line__missing_qf",
        )
    )
    cancelled = [v[3] for v in values if v[8] == State.CANCELLED]
    late = set()
    if cancelled and scope.late_share_units:
        late = set(
            BookingChange.objects.filter(
                booking_id__in=cancelled,
                booking__unit_id__in=scope.late_share_units,
                before_state=State.CANCEL_REQUESTED,
                after_state=State.CANCELLED,
            ).values_list("booking_id", flat=True)
        )
    out = []
    for pk, was, quantity, booking, family, child, unit, day, state, outcome, *line in values:
        now = billed(state, outcome, late_cancellation=booking in late)
        if now == was:
            continue
        label, price, reduction, surcharge, share, per, missing = line
        amount = line_amount(
            price,  # type: ignore[arg-type]
            quantity,
            reduction=reduction,  # type: ignore[arg-type]
            surcharge=surcharge,  # type: ignore[arg-type]
            share=share,  # type: ignore[arg-type]
        )
        out.append(
            _Reversal(
                pk,
                family,
                child,
                unit,
                day,
                quantity,
                amount,
                (label, price, reduction, surcharge, share, per, missing),
                now,
            )
        )
    return out


def _adjustment_lines(reversals: list[_Reversal]) -> list[tuple[Line, list[int]]]:
    groups: dict[tuple, list[_Reversal]] = defaultdict(list)
    for r in reversals:
        groups[(r.child_id, r.unit_id, r.line)].append(r)
    out = []
    for (child, unit, line), items in groups.items():
        label, price, reduction, surcharge, share, per, missing = line
        out.append(
            (
                Line(
                    child,
                    unit,
                    label,
                    price,
                    -sum(r.quantity for r in items),
                    reduction,
                    surcharge,
                    -sum((r.amount for r in items), ZERO),
                    tuple(sorted(r.day for r in items)),
                    missing,
                    share,
                    per,
                ),
                [r.booking_id for r in items],
            )
        )
    return out


def _times(
    scope: _Scope, groups: list[tuple[int, int, Sequence[date]]]
) -> dict[tuple[int, date, int], tuple[time | None, time | None]]:
    """Arrival and departure on the days of `groups` ((unit, child, days) of units billed
    by the half-hour): (unit, day, child) -> times."""
    if not groups:
        return {}
    marks = AttendanceMark.objects.filter(
        sheet__unit_id__in=scope.half_hour_units,
        sheet__day__gte=min(days[0] for _u, _c, days in groups),
        sheet__day__lte=max(days[-1] for _u, _c, days in groups),
        child_id__in={child for _u, child, _d in groups},
        arrival__isnull=False,
        departure__isnull=False,
    ).order_by("made_at", "pk")  # a child's last mark counts
    rows = marks.values_list("sheet__unit_id", "sheet__day", "child_id", "arrival", "departure")
    return {(u, d, c): (a, b) for u, d, c, a, b in rows}


def _children(ids: set[int]) -> dict[int, tuple[str, date]]:
    if not ids:
        return {}
    # A batch's ~4,000 children read by a range of ids rather than as many values.
    wanted = Q(pk__in=ids) if len(ids) < 100 else _id_range("pk", list(ids))
    return {
        pk: (f"{first} {last}", birth)
        for pk, first, last, birth in Child.objects.filter(wanted).values_list(
            "pk", "first_name", "last_name", "birth_date"
        )
        if pk in ids
    }


def _quotients(family_ids: list[int], scope: _Scope) -> dict[int, list[Valid]]:
    out: dict[int, list[Valid]] = defaultdict(list)
    for family, value, start, end in (
        FamilyQuotient.objects.filter(_id_range("family_id", family_ids), valid_from__lte=scope.end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=scope.start))
        .order_by("-valid_from")
        .values_list("family_id", "value", "valid_from", "valid_until")
    ):
        out[family].append(Valid(start, end, value))  # latest first: it wins an overlap
    return out


@dataclass(frozen=True)
class _Household:
    number: str
    recipient: str
    resident: bool


def _households(family_ids: list[int], organisation: Organisation) -> dict[int, _Household]:
    """Each family's number, the invoice's addressee (its first guardian) and residency."""
    wanted = set(family_ids)
    first: dict[int, tuple[str, str, str, str, str]] = {}  # names, address, postal code, town
    for family_id, *guardian in (
        Guardian.objects.filter(_id_range("family_id", family_ids))
        .order_by("family_id", "rank", "pk")
        .values_list("family_id", "first_name", "last_name", "address", "postal_code", "city")
    ):
        if family_id in wanted and family_id not in first:
            first[family_id] = tuple(guardian)  # type: ignore[assignment]
    resident: dict[tuple[str, str], bool] = {}  # by (postal code, town)
    out = {}
    for pk, number, name in Family.objects.filter(_id_range("pk", family_ids)).values_list(
        "pk", "number", "name"
    ):
        if pk not in wanted:
            continue
        if pk not in first:
            out[pk] = _Household(number, name, False)
            continue
        first_name, last_name, address, postal_code, city = first[pk]
        if (postal_code, city) not in resident:
            resident[postal_code, city] = guardian_is_resident(
                organisation, Guardian(postal_code=postal_code, city=city)
            )
        lines = (f"{first_name} {last_name}", address, f"{postal_code} {city}".strip())
        out[pk] = _Household(
            number, "\n".join(line for line in lines if line), resident[postal_code, city]
        )
    return out


def _sender(organisation: Organisation) -> str:
    lines = [
        organisation.name,
        organisation.address,
        f"{organisation.postal_code} {organisation.city}".strip(),
        organisation.phone,
        organisation.email,
        f"SIRET {organisation.siret}" if organisation.siret else "",
    ]
    return "\n".join(line for line in lines if line)


def _minutes(start: time | None, end: time | None) -> int:
    if start is None or end is None:
        return 30
    return max(30, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def _drafts_delete(run: BillingRun, invoices) -> None:
    """Delete draft invoices and free their days: the billed days they hold first, then
    the days their adjustments took back are billed again as they were."""
    lines = InvoiceLine.objects.filter(invoice__in=invoices)
    # Found by booking (the table's only index): a run bills days of its activities from
    # REVISION_MONTHS before its month to its end.
    bookings = Booking.objects.filter(
        activity__in=run.activities.all(),
        day__gte=months_before(run.month, REVISION_MONTHS),
        day__lte=month_end(run.month),
        family_id__in=invoices.values("family_id"),
    )
    held = sum(
        len(days)
        for days in lines.filter(kind=InvoiceLine.Kind.SERVICE).values_list("days", flat=True)
    )
    deleted, _ = BilledDay.objects.filter(booking__in=bookings, line__in=lines).delete()
    if deleted != held:  # a day left billed on a deleted line could never be billed again
        raise RuntimeError(f"run {run.pk}: {deleted} billed days freed for {held} on its lines")
    taken_back = ReversedDay.objects.filter(reversed_by__in=lines)
    BilledDay.objects.bulk_create(BilledDay(**_as_billed(day)) for day in taken_back)
    taken_back.delete()
    lines.delete()
    invoices.delete()


def _take_back(adjustments: list[tuple[int, list[int]]]) -> None:
    """Move billed days to `ReversedDay`: (adjustment line, the bookings it takes back)."""
    reversed_by = {booking: line for line, bookings in adjustments for booking in bookings}
    if not reversed_by:
        return
    days = BilledDay.objects.filter(booking__in=list(reversed_by))
    ReversedDay.objects.bulk_create(
        ReversedDay(**_as_billed(day), reversed_by_id=reversed_by[day.booking_id]) for day in days
    )
    days.delete()


def _as_billed(day: BilledDay | ReversedDay) -> dict:
    """What a billed day and the same day taken back say: it moves between the two."""
    return {
        "organisation_id": day.organisation_id,
        "booking_id": day.booking_id,
        "line_id": day.line_id,
        "quantity": day.quantity,
        "billed": day.billed,
    }


# Estimate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """What the month costs a family so far, priced as its run will price it: not an
    invoice (attendance may still change, and the run decides)."""

    month: date
    until: date
    lines: list[tuple[str, str, Line]]  # (child, unit, line)
    total: Decimal
    unpriced: int


def month_estimate(family: Family, today: date) -> Estimate:
    """The family's days of this month up to `today` not billed yet, in every activity."""
    month = today.replace(day=1)
    activity_ids = list(
        Booking.objects.filter(family=family, day__gte=month, day__lte=today)
        .order_by()
        .values_list("activity_id", flat=True)
        .distinct()
    )
    if not activity_ids:
        return Estimate(month, today, [], ZERO, 0)
    scope = _Scope.build(activity_ids, month, today)
    days, _reversals = _billable_days(scope, [family.pk], drafts_count=False)
    priced = _price(scope, family.organisation, [family.pk], days)
    lines, missing = priced.lines[family.pk]
    return Estimate(
        month,
        today,
        [
            (
                priced.children[line.child_id][0],
                "{activity__name} — {name}".format(**scope.units[line.unit_id]),
                line,
            )
            for line in lines
        ],
        sum((line.amount for line in lines), ZERO),
        len(missing),
    )


# Review ----------------------------------------------------------------------------------


def _draft_run(run: BillingRun) -> BillingRun:
    run = _run_locked(run.pk)
    if run.state != BillingRun.State.DRAFT:
        raise DomainError(_("This run is no longer a draft."))
    return run


@transaction.atomic
def invoice_exclude(*, actor: User, invoice: Invoice) -> None:
    """Leave a family out of the run (its file needs fixing): its days are freed for a
    later run; it can be drafted again."""
    require_billing(actor)
    run = _draft_run(invoice.run)
    _drafts_delete(run, Invoice.objects.filter(pk=invoice.pk, state=Invoice.State.DRAFT))
    excluded = sorted({*run.summary.get("excluded", []), invoice.family_id})
    run.summary = {**run.summary, "excluded": excluded}
    run.save(update_fields=["summary"])
    audit_log(
        organisation=run.organisation,
        actor=actor,
        action="billing.invoice_excluded",
        target=run,
        data={"family": invoice.family_id},
    )


def invoice_redraft(*, actor: User, run: BillingRun, family: Family) -> None:
    """Draft a family's invoice again (after its quotient or attendance was fixed, or to
    bring it back into the run)."""
    require_billing(actor)
    with transaction.atomic():
        run = _draft_run(run)
        _drafts_delete(run, Invoice.objects.filter(run=run, family=family))
        excluded = [f for f in run.summary.get("excluded", []) if f != family.pk]
        run.summary = {**run.summary, "excluded": excluded}
        run.save(update_fields=["summary"])
    run_draft(run.pk, families=[family.pk])
    audit_log(
        organisation=run.organisation,
        actor=actor,
        action="billing.invoice_redrafted",
        target=run,
        data={"family": family.pk},
    )


@transaction.atomic
def run_discard(*, actor: User, run: BillingRun) -> None:
    require_billing(actor)
    run = _run_locked(run.pk)
    if run.state not in (BillingRun.State.DRAFT, BillingRun.State.DRAFTING):
        raise DomainError(_("Only a run not issued yet can be discarded."))
    _drafts_delete(run, Invoice.objects.filter(run=run))
    run.state = BillingRun.State.DISCARDED
    run.save(update_fields=["state"])
    audit_log(
        organisation=run.organisation, actor=actor, action="billing.run_discarded", target=run
    )


# Issuing ---------------------------------------------------------------------------------


@transaction.atomic
def run_issue_ask(
    *, actor: User, run: BillingRun, issue_date: date | None = None, now: datetime | None = None
) -> BillingRun:
    """Issue the run's drafts (a background task): asked once, whoever clicks second is
    told it is already being issued."""
    require_billing(actor)
    run = _run_locked(run.pk)
    if run.state == BillingRun.State.ISSUING:
        raise DomainError(_("This run is already being issued."))
    if run.state == BillingRun.State.ISSUED:
        raise DomainError(_("This run has already been issued."))
    if run.state != BillingRun.State.DRAFT:
        raise DomainError(_("This run is not ready to be issued."))
    if not Invoice.objects.filter(run=run, state=Invoice.State.DRAFT).exists():
        raise DomainError(_("This run has no invoice to issue."))
    today = timezone.localdate(now or timezone.now())
    run.issue_date = issue_date or today
    if run.issue_date < today:
        raise DomainError(_("Invoices cannot be issued in the past."), field="issue_date")
    run.due_date = run.issue_date + timedelta(days=run.organisation.invoice_due_days)
    run.state, run.issued_by = BillingRun.State.ISSUING, actor
    run.save(update_fields=["issue_date", "due_date", "state", "issued_by"])
    audit_log(
        organisation=run.organisation, actor=actor, action="billing.run_issue_asked", target=run
    )
    transaction.on_commit(partial(run_issue_task.enqueue, run.organisation_id, run.pk))
    return run


@task()
def run_issue_task(organisation_id: int, run_id: int) -> None:
    with organisation_scope(organisation_id):
        try:
            run_issue(run_id)
        except Exception as error:
            logger.exception("issuing billing run %s failed", run_id)
            message = error.message if isinstance(error, DomainError) else _("unexpected error")
            with transaction.atomic():
                run = _run_locked(run_id)
                if run.state == BillingRun.State.ISSUING:  # back to review, nothing issued
                    run.state, run.error = BillingRun.State.DRAFT, str(message)
                    run.save(update_fields=["state", "error"])


@collector_paused()
def run_issue(run_id: int, *, now: datetime | None = None) -> int:
    """Number, date and freeze the run's drafts in one transaction: numbers reserved in one
    block of the organisation's yearly sequence (no gap, no duplicate, whoever else issues),
    the previous balance of each family carried, and the families' credit spent on their
    new invoices. Returns how many were issued (0: already done)."""
    now = now or timezone.now()
    with transaction.atomic():
        run = _run_locked(run_id)
        if run.state != BillingRun.State.ISSUING:
            return 0
        drafts = Invoice.objects.filter(run=run, state=Invoice.State.DRAFT)
        count = drafts.count()
        if not count:  # every family left out meanwhile: back to review
            run.state = BillingRun.State.DRAFT
            run.save(update_fields=["state"])
            return 0
        assert run.issue_date is not None  # set when issuing was asked
        year = run.issue_date.year
        first = next_values(organisation=run.organisation, key=f"invoice-{year}", count=count)
        _previous_balances(drafts)
        _number(run, first, year, now)
        credit = _families_in_credit(run)
        for family_id in credit:
            lock_family(family_id)
            allocate(family_id)
        run.state, run.issued_at, run.error = BillingRun.State.ISSUED, now, ""
        run.summary = {**run.summary, "issued": count, "first": first, "last": first + count - 1}
        run.progress_done = run.progress_total
        run.save(update_fields=["state", "issued_at", "error", "summary", "progress_done"])
        audit_log(
            organisation=run.organisation,
            actor=run.issued_by,
            action="billing.run_issued",
            target=run,
            data={
                "invoices": count,
                "numbers": f"{year}-{first:06d}…{year}-{first + count - 1:06d}",
            },
        )
        transaction.on_commit(partial(_announce, run.organisation_id, run.pk))
    return count


def _announce(organisation_id: int, run_id: int) -> None:
    invoices_announce_task.enqueue(organisation_id, run_id)


def _previous_balances(drafts) -> None:
    """Each family's balance before its new invoice: issued invoices, less credit notes
    and payments received (three sums grouped by family, one update by primary key; the
    drafts are too new for the planner's statistics to join them safely)."""
    invoice_of = dict(drafts.order_by().values_list("family_id", "pk"))
    families = list(invoice_of)
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for queryset, column, sign in (
        (Invoice.objects.filter(state=Invoice.State.ISSUED), "total", 1),
        (CreditNote.objects.all(), "amount", -1),
        (Payment.objects.filter(state=Payment.State.CONFIRMED), "amount", -1),
    ):
        sums = (
            queryset.filter(family_id__any_of=families)
            .order_by()
            .values("family_id")
            .annotate(s=Sum(column))
            .values_list("family_id", "s")
        )
        for family_id, amount in sums:
            balances[family_id] += sign * amount
    owing = [(invoice_of[f], b) for f, b in balances.items() if b]
    if not owing:
        return
    if connection.vendor != "postgresql":
        for pk, balance in owing:
            Invoice.objects.filter(pk=pk).update(previous_balance=balance)
        return
    table = connection.ops.quote_name(Invoice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET previous_balance = owing.balance
            FROM unnest(%s::bigint[], %s::numeric[]) AS owing(id, balance)
            WHERE {table}.id = owing.id
            """,  # noqa: S608 (table name from the model)
            [[pk for pk, _b in owing], [b for _pk, b in owing]],
        )


def _number(run: BillingRun, first: int, year: int, now: datetime) -> None:
    """Numbers in the order of the families' names, in one statement."""
    table = connection.ops.quote_name(Invoice._meta.db_table)
    family = connection.ops.quote_name(Family._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The drafts were written in this transaction, unknown to the planner's
            # statistics: a join it believes small can go quadratic (23 s for 10,000
            # invoices). Ids in order, then one update by primary key.
            ids = list(
                Invoice.objects.filter(run=run, state=Invoice.State.DRAFT)
                .order_by("family__name", "family__number", "pk")
                .values_list("pk", flat=True)
            )
            cursor.execute(
                f"""
                UPDATE {table} SET sequence = numbered.n, year = %s, state = %s,
                    issue_date = %s, due_date = %s, issued_at = %s
                FROM unnest(%s::bigint[], %s::integer[]) AS numbered(id, n)
                WHERE {table}.id = numbered.id
                """,  # noqa: S608 (table name from the model)
                [
                    year,
                    Invoice.State.ISSUED.value,
                    run.issue_date,
                    run.due_date,
                    now,
                    ids,
                    list(range(first, first + len(ids))),
                ],
            )
            return
        cursor.execute(
            f"""
            UPDATE {table} SET sequence = numbered.n, year = %s, state = %s,
                issue_date = %s, due_date = %s, issued_at = %s
            FROM (
                SELECT i.id AS id,
                    %s - 1 + ROW_NUMBER() OVER (ORDER BY f.name, f.number, i.id) AS n
                FROM {table} i JOIN {family} f ON f.id = i.family_id
                WHERE i.run_id = %s AND i.state = %s
            ) AS numbered
            WHERE {table}.id = numbered.id
            """,  # noqa: S608 (table names from the models)
            [
                year,
                Invoice.State.ISSUED.value,
                run.issue_date,
                run.due_date,
                now,
                first,
                run.pk,
                Invoice.State.DRAFT.value,
            ],
        )


def _families_in_credit(run: BillingRun) -> list[int]:
    families = Invoice.objects.filter(run=run, state=Invoice.State.ISSUED).values("family_id")
    with_payments = Payment.objects.filter(
        family_id__in=families, state=Payment.State.CONFIRMED, settled__lt=F("amount")
    ).values_list("family_id", flat=True)
    with_notes = CreditNote.objects.filter(
        family_id__in=families, settled__lt=F("amount")
    ).values_list("family_id", flat=True)
    return sorted(set(with_payments) | set(with_notes))
