"""Demo catalogue: per school the morning care, canteen, evening care and evening care with
supervised homework (seed 000's rules); a leisure centre open on Wednesdays and in the
school holidays (seed 003's 8 days); closures, opening exceptions and enrollments."""

from datetime import date, time

from perisco.accounts.models import User
from perisco.activities.models import (
    Activity,
    ActivityType,
    AgeGroupCapacity,
    Closure,
    DayOverride,
    Facility,
    Period,
    PeriodKind,
    Unit,
)
from perisco.activities.rules import CountedIn, Season
from perisco.activities.services import enrollment_refuse, enrollment_request
from perisco.core.models import Organisation, SchoolKind
from perisco.families.models import Child, Family

SCHOOL_YEAR = (date(2026, 9, 1), date(2027, 7, 3))
SCHOOL_DAYS = [0, 1, 3, 4]  # no school on Wednesdays
# Broad holiday sessions: the activity opens only on the zone's school-holiday days.
HOLIDAY_SESSIONS = (
    ("Vacances de la Toussaint 2026", date(2026, 10, 17), date(2026, 11, 1)),
    ("Vacances de Noël 2026", date(2026, 12, 19), date(2027, 1, 3)),
    ("Vacances d'hiver 2027", date(2027, 2, 6), date(2027, 3, 7)),
    ("Vacances de printemps 2027", date(2027, 4, 3), date(2027, 5, 2)),
    ("Vacances d'été 2027", date(2027, 7, 3), date(2027, 8, 31)),
)
SEED_000 = {
    "booking_days": 3,
    "booking_counted_in": CountedIn.WORKING,
    "booking_cutoff": time(9),
    "cancellation_days": 3,
    "cancellation_counted_in": CountedIn.WORKING,
    "cancellation_cutoff": time(9),
}
SEED_003 = {
    "booking_days": 8,
    "booking_counted_in": CountedIn.CALENDAR,
    "booking_cutoff": None,
    "cancellation_days": 8,
    "cancellation_counted_in": CountedIn.CALENDAR,
    "cancellation_cutoff": None,
}


def _activity(
    org, facility, kind, name, units, *, season=Season.SCHOOL_TIME, rules=SEED_000, **fields
) -> Activity:
    activity = Activity.objects.create(
        organisation=org,
        facility=facility,
        activity_type=kind,
        name=name,
        season=season,
        **rules,
        **fields,
    )
    for position, (unit_name, start, end, capacity) in enumerate(units):
        Unit.objects.create(
            organisation=org,
            activity=activity,
            name=unit_name,
            start_time=start,
            end_time=end,
            capacity=capacity,
            position=position,
        )
    return activity


def demo_activities(organisation: Organisation, schools: dict, manager: User) -> None:
    if Activity.objects.exists():
        return
    org = organisation
    periscolaire = ActivityType.objects.create(organisation=org, name="Périscolaire")
    restauration = ActivityType.objects.create(organisation=org, name="Restauration scolaire")
    loisirs = ActivityType.objects.create(organisation=org, name="Accueil de loisirs")
    canteens = {}
    for school in schools.values():
        facility = Facility.objects.create(
            organisation=org, name=f"{school.name} – périscolaire", school=school
        )
        morning = _activity(
            org,
            facility,
            periscolaire,
            f"Garderie matin – {school.name}",
            [("Matin", time(7, 30), time(8, 30), 30)],
        )
        canteen = _activity(
            org,
            facility,
            restauration,
            f"Restauration scolaire – {school.name}",
            [("Repas", time(11, 30), time(13, 30), 120)],
        )
        evening = _activity(
            org,
            facility,
            periscolaire,
            f"Accueil soir – {school.name}",
            [("Soir", time(16, 30), time(18, 30), 40)],
        )
        activities = [morning, canteen, evening]
        if school.kind != SchoolKind.NURSERY:
            study = _activity(
                org,
                facility,
                periscolaire,
                f"Accueil soir + étude – {school.name}",
                [("Soir + étude", time(16, 30), time(18, 30), 20)],
                min_age=6,
            )
            activities.append(study)
            # Seed 000: "vérifier qu'il n'y a pas de réservation accueil soir le même jour".
            evening.units.get().exclusive_with.add(study.units.get())
        for activity in activities:
            Period.objects.create(
                organisation=org,
                activity=activity,
                name="Année scolaire 2026-2027",
                start=SCHOOL_YEAR[0],
                end=SCHOOL_YEAR[1],
                weekdays=SCHOOL_DAYS,
            )
        canteens[school.pk] = canteen
        Closure.objects.create(
            organisation=org,
            facility=facility,
            start=date(2027, 2, 5),
            end=date(2027, 2, 5),
            label="Journée pédagogique",
        )
    centre = Facility.objects.create(
        organisation=org, name="Centre de loisirs", address="Parc des Sports"
    )
    wednesday = _activity(
        org,
        centre,
        loisirs,
        "ALSH mercredi",
        [
            ("Matin", time(8), time(12), None),
            ("Repas", time(12), time(13, 30), 60),
            ("Après-midi", time(13, 30), time(18), None),
            ("Journée", time(8), time(18), None),
        ],
        rules=SEED_003,
        min_age=3,
        max_age=11,
    )
    units = {u.name: u for u in wednesday.units.all()}
    units["Journée"].exclusive_with.add(units["Matin"], units["Après-midi"])
    units["Repas"].requires.add(units["Matin"])
    for unit_name in ("Matin", "Après-midi", "Journée"):
        AgeGroupCapacity.objects.create(
            organisation=org,
            unit=units[unit_name],
            name="Maternelle (3-5 ans)",
            min_age=3,
            max_age=5,
            capacity=16,
        )
        AgeGroupCapacity.objects.create(
            organisation=org,
            unit=units[unit_name],
            name="Élémentaire (6-11 ans)",
            min_age=6,
            max_age=11,
            capacity=24,
        )
    Period.objects.create(
        organisation=org,
        activity=wednesday,
        name="Mercredis 2026-2027",
        start=date(2026, 9, 2),
        end=date(2027, 6, 30),
        weekdays=[2],
    )
    DayOverride.objects.create(
        organisation=org,
        activity=wednesday,
        date=date(2026, 12, 16),
        is_open=False,
        reason="Sortie au cinéma : accueil fermé",
    )
    holidays = _activity(
        org,
        centre,
        loisirs,
        "ALSH vacances",
        [("Journée", time(8), time(18), 48)],
        season=Season.HOLIDAYS,
        rules=SEED_003,
        min_age=3,
        max_age=11,
        horizon_days=60,
    )
    for name, start, end in HOLIDAY_SESSIONS:
        Period.objects.create(
            organisation=org,
            activity=holidays,
            name=name,
            kind=PeriodKind.HOLIDAY_SESSION,
            start=start,
            end=end,
            weekdays=[0, 1, 2, 3, 4],
        )
    Closure.objects.create(
        organisation=org, start=date(2027, 5, 7), end=date(2027, 5, 7), label="Pont de l'Ascension"
    )
    # Classes make up for the Ascension bridge on Wednesday 12 May: the canteens open.
    for canteen in canteens.values():
        DayOverride.objects.create(
            organisation=org,
            activity=canteen,
            date=date(2027, 5, 12),
            is_open=True,
            reason="Mercredi travaillé (pont de l'Ascension)",
        )
    # The kitchen cooks for the lunches and the leisure centre's full days.
    Unit.objects.filter(name__in=("Repas", "Journée")).update(includes_meal=True)
    _demo_enrollments(org, canteens, wednesday, manager)


def _demo_enrollments(org, canteens, wednesday, manager) -> None:
    school_year = Period.objects.filter(name="Année scolaire 2026-2027")
    mercredis = wednesday.periods.get()
    for index, child in enumerate(Child.objects.select_related("school").order_by("pk")):
        family = Family.objects.filter(children=child, status="active").order_by("pk").first()
        if family is None or child.school_id not in canteens:
            continue
        canteen = canteens[child.school_id]
        meals = {d: [canteen.units.get().pk] for d in SCHOOL_DAYS}
        enrollment_request(
            actor=manager,
            family=family,
            child=child,
            period=school_year.get(activity=canteen),
            typical_week=meals,
            by_staff=True,
        )
        if index % 3 == 0:
            morning = school_year.get(
                activity__facility=canteen.facility, activity__name__startswith="Garderie matin"
            )
            enrollment_request(
                actor=manager,
                family=family,
                child=child,
                period=morning,
                typical_week={0: [morning.activity.units.get().pk]},
                by_staff=True,
            )
        if index % 4 == 1:
            guardian = family.guardians.filter(user__isnull=False).first()
            request = enrollment_request(
                actor=guardian.user if guardian and guardian.user else manager,
                family=family,
                child=child,
                period=mercredis,
                typical_week={2: [wednesday.units.get(name="Journée").pk]},
            )
            if index % 8 == 5:
                enrollment_refuse(
                    actor=manager,
                    enrollment=request,
                    reason="Plus de place le mercredi pour cette tranche d'âge.",
                )
    # The demo family asks for Wednesdays: it shows with a question mark until validated.
    parent = Family.objects.filter(guardians__email__startswith="parent@").first()
    if parent is not None:
        eldest = parent.children.order_by("birth_date").first()
        if eldest is not None and not eldest.enrollments.filter(activity=wednesday).exists():
            enrollment_request(
                actor=parent.guardians.get(rank=1).user or manager,
                family=parent,
                child=eldest,
                period=mercredis,
                typical_week={2: [wednesday.units.get(name="Journée").pk]},
            )
