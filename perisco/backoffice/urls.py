from django.urls import path

from perisco.backoffice.views import (
    accounts,
    attendance,
    bookings,
    catalogue,
    children,
    documents,
    enrollments,
    families,
    kitchen,
    requests,
    sessions,
    runs,
    tariffs,
)

app_name = "backoffice"

urlpatterns = [
    path("", accounts.home, name="home"),
    path("familles/", families.families, name="families"),
    path("familles/nouvelle/", families.family_create, name="family_create"),
    path("familles/<int:pk>/", families.family_detail, name="family"),
    path("familles/<int:pk>/modifier/<str:kind>/", families.family_edit, name="family_edit"),
    path(
        "familles/<int:pk>/enfants/<int:child_pk>/modifier/<str:kind>/",
        families.family_edit,
        name="child_edit",
    ),
    path(
        "familles/<int:pk>/enfants/<int:child_pk>/fiche.pdf",
        families.child_sheet,
        name="child_sheet",
    ),
    path(
        "familles/<int:pk>/documents/",
        families.family_document_upload,
        name="family_document_upload",
    ),
    path("familles/<int:pk>/reservations/", bookings.family_bookings, name="family_bookings"),
    path(
        "familles/<int:pk>/enfants/<int:child_pk>/reservations/",
        bookings.child_history,
        name="child_bookings",
    ),
    path(
        "familles/<int:pk>/enfants/<int:child_pk>/inscrire/",
        enrollments.enroll_child,
        name="enroll_child",
    ),
    path("enfants/", children.children, name="children"),
    path("pointage/", attendance.day_sheets, name="attendance"),
    path("cuisine/", kitchen.counts, name="kitchen"),
    path("reservations/vacances/", sessions.sessions, name="sessions"),
    path(
        "reservations/vacances/<int:period_pk>/demandes/",
        sessions.window_new,
        name="request_window_new",
    ),
    path("reservations/tirages/<int:pk>/", sessions.window_detail, name="request_window"),
    path(
        "reservations/tirages/<int:pk>/bonus/", sessions.window_bonus, name="request_window_bonus"
    ),
    path("reservations/tirages/<int:pk>/lancer/", sessions.window_run, name="request_window_run"),
    path(
        "reservations/tirages/<int:pk>/publier/",
        sessions.window_publish,
        name="request_window_publish",
    ),
    path("cuisine/effectifs.csv", kitchen.export, {"fmt": "csv"}, name="kitchen_csv"),
    path("cuisine/effectifs.xlsx", kitchen.export, {"fmt": "xlsx"}, name="kitchen_xlsx"),
    path("pointage/<int:unit_pk>/<str:day>/", attendance.sheet, name="attendance_sheet"),
    path(
        "pointage/<int:unit_pk>/<str:day>/pointages/",
        attendance.marks_json,
        name="attendance_marks",
    ),
    path("pointage/<int:unit_pk>/<str:day>/cloturer/", attendance.close, name="attendance_close"),
    path("pointage/correction/<int:pk>/", attendance.correct, name="attendance_correct"),
    path("facturation/", runs.runs, name="billing_runs"),
    path("facturation/<int:pk>/", runs.run, name="billing_run"),
    path("facturation/<int:pk>/emettre/", runs.run_issue, name="billing_run_issue"),
    path("facturation/<int:pk>/abandonner/", runs.run_discard_view, name="billing_run_discard"),
    path(
        "facturation/<int:pk>/familles/<int:family_pk>/",
        runs.run_family,
        name="billing_run_family",
    ),
    path("activites/", catalogue.overview, name="catalogue"),
    path("activites/<int:pk>/", catalogue.activity_detail, name="activity"),
    path("activites/<int:activity_pk>/tarifs/", tariffs.tariffs, name="tariffs"),
    path(
        "activites/<int:activity_pk>/tarifs/<int:unit_pk>/nouveau/",
        tariffs.tariff_edit,
        name="tariff_new",
    ),
    path(
        "activites/<int:activity_pk>/tarifs/<int:unit_pk>/<int:pk>/",
        tariffs.tariff_edit,
        name="tariff",
    ),
    path(
        "activites/<int:activity_pk>/<str:kind>/nouveau/", catalogue.edit, name="activity_item_new"
    ),
    path("activites/<int:activity_pk>/<str:kind>/<int:pk>/", catalogue.edit, name="activity_item"),
    path(
        "activites/<int:activity_pk>/<str:kind>/<int:pk>/supprimer/",
        catalogue.delete,
        name="activity_item_delete",
    ),
    path("activites/<str:kind>/nouveau/", catalogue.edit, name="catalogue_new"),
    path("activites/<str:kind>/<int:pk>/", catalogue.edit, name="catalogue_item"),
    path(
        "activites/<str:kind>/<int:pk>/supprimer/", catalogue.delete, name="catalogue_item_delete"
    ),
    path("inscriptions/", enrollments.queue, name="enrollments"),
    path("inscriptions/classe/", enrollments.bulk, name="enrollments_bulk"),
    path("inscriptions/<int:pk>/", enrollments.detail, name="enrollment"),
    path("inscriptions/<int:pk>/valider/", enrollments.validate, name="enrollment_validate"),
    path("inscriptions/<int:pk>/refuser/", enrollments.refuse, name="enrollment_refuse"),
    path("inscriptions/<int:pk>/semaine-type/", enrollments.reapply, name="enrollment_reapply"),
    path("reservations/", bookings.queue, name="bookings"),
    path("reservations/decider/", bookings.decide, name="bookings_decide"),
    path("reservations/occupation/", bookings.occupancy_index, name="occupancy_index"),
    path("reservations/occupation/<int:pk>/", bookings.occupancy, name="occupancy"),
    path(
        "reservations/unites/<int:pk>/<str:day>/attente/",
        bookings.unit_waiting_list,
        name="waiting_list",
    ),
    path("reservations/attente/<int:pk>/donner/", bookings.offer, name="waiting_list_offer"),
    path("reservations/absences/", bookings.absences, name="absences"),
    path("reservations/annuler-des-jours/", bookings.days_cancel_view, name="days_cancel"),
    path("reservations/absences/<int:pk>/", bookings.absence_decide, name="absence_review"),
    path("demandes/", requests.queue, name="requests"),
    path("demandes/accepter/", requests.queue_accept, name="requests_accept"),
    path("demandes/reglages/", requests.request_settings, name="request_settings"),
    path("demandes/<int:pk>/", requests.request_detail, name="request"),
    path("demandes/<int:pk>/accepter/", requests.request_accept_view, name="request_accept"),
    path("demandes/<int:pk>/refuser/", requests.request_refuse_view, name="request_refuse"),
    path("documents/", documents.published_documents, name="documents"),
    path(
        "documents/<int:pk>/supprimer/", documents.published_document_delete, name="document_delete"
    ),
    path("personnel/", accounts.staff, name="staff"),
    path("personnel/<int:pk>/role/", accounts.staff_role, name="staff_role"),
    path("personnel/<int:pk>/actif/", accounts.staff_active, name="staff_active"),
    path("personnel/<int:pk>/invitation/", accounts.staff_reinvite, name="staff_reinvite"),
    path(
        "personnel/<int:pk>/double-authentification/",
        accounts.staff_reset_2fa,
        name="staff_reset_2fa",
    ),
    path("comptes-familles/", accounts.guardian_accounts, name="guardian_accounts"),
    path(
        "comptes-familles/<int:pk>/invitation/",
        accounts.guardian_invite,
        name="guardian_invite",
    ),
    path("parametres/", accounts.settings, name="settings"),
    path("journal/", accounts.audit, name="audit"),
]
