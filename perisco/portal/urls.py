from django.urls import path

from perisco.portal.views import (
    bookings,
    documents,
    enrollments,
    file,
    home,
    invoices,
    messages,
    requests,
    sessions,
    statement,
)

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("attestation/", home.certification, name="certification"),
    path("ma-famille/", file.family_file, name="family"),
    path("ma-famille/demande/<str:kind>/", file.family_request, name="family_request"),
    path("enfants/", file.children, name="children"),
    path("enfants/nouveau/", file.new_child, name="new_child"),
    path("enfants/<int:pk>/", file.child_detail, name="child"),
    path("enfants/<int:pk>/fiche.pdf", file.child_sheet, name="child_sheet"),
    path("enfants/<int:pk>/demande/<str:kind>/", file.child_request, name="child_request"),
    path("demandes/", requests.request_list, name="requests"),
    path("demandes/<int:pk>/retirer/", requests.request_withdraw_view, name="request_withdraw"),
    path("inscriptions/", enrollments.enrollments, name="enrollments"),
    path("inscriptions/nouvelle/", enrollments.enrollment_new, name="enrollment_new"),
    path(
        "inscriptions/<int:pk>/retirer/",
        enrollments.enrollment_withdraw_view,
        name="enrollment_withdraw",
    ),
    path("calendrier/", bookings.calendar, name="calendar"),
    path("calendrier/jours/", bookings.book_weekdays, name="book_weekdays"),
    path("calendrier/semaine-type/", bookings.book_typical_week, name="book_typical_week"),
    path("calendrier/absence/<int:child_pk>/", bookings.absence, name="absence"),
    path("calendrier/vacances/", sessions.holiday_requests, name="holiday_requests"),
    path("factures/", invoices.invoices, name="invoices"),
    path("factures/payer/", invoices.invoices_pay, name="invoices_pay"),
    path(
        "factures/paiement/<str:reference>/",
        invoices.card_payment_return,
        name="card_payment_return",
    ),
    path(
        "paiement/<str:reference>/notification/",
        invoices.card_payment_notify,
        name="card_payment_notify",
    ),
    path("factures/<int:pk>/facture.pdf", statement.invoice_pdf, name="invoice_pdf"),
    path("avoirs/<int:pk>/avoir.pdf", statement.credit_note_pdf, name="credit_note_pdf"),
    path("releve-de-compte/", statement.statement, name="statement"),
    path("messages/", messages.inbox, name="messages"),
    path("messages/nouveau/", messages.message_new, name="message_new"),
    path("messages/<int:pk>/", messages.thread, name="thread"),
    path("messages/<int:pk>/corbeille/", messages.thread_to_trash, name="thread_trash"),
    path("messages/<int:pk>/restaurer/", messages.thread_from_trash, name="thread_restore"),
    path("documents/", documents.documents, name="documents"),
    path("documents/<int:pk>/supprimer/", documents.document_remove, name="document_delete"),
]
