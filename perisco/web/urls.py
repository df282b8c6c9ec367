"""Pages every organisation's site has, and the platform site (/plateforme/) too."""

from django.urls import path

from perisco.web.views import account, auth, documents, feed, public, registration

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("logo/", public.logo, name="logo"),
    path("contact/", public.contact, name="contact"),
    path("aide/", public.help_page, name="help"),
    path("accessibilite/", public.accessibility, name="accessibility"),
    path("mentions-legales/", public.legal_notices, name="legal_notices"),
    path("donnees-personnelles/", public.privacy, name="privacy"),
    path("connexion/", auth.login, name="login"),
    path("connexion/verification/", auth.login_verify, name="login_verify"),
    path("deconnexion/", auth.logout, name="logout"),
    path("mot-de-passe-oublie/", auth.password_reset, name="password_reset"),
    path(
        "mot-de-passe-oublie/<str:token>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("invitation/<str:token>/", auth.invitation, name="invitation"),
    path("compte/", account.overview, name="account"),
    path("compte/mot-de-passe/", account.password_change, name="password_change"),
    path("compte/adresse-email/", account.email_change, name="email_change"),
    path(
        "compte/adresse-email/<str:token>/",
        account.email_change_confirm,
        name="email_change_confirm",
    ),
    path("compte/double-authentification/", account.two_factor, name="two_factor"),
    path("compte/rappels/", account.booking_reminders, name="booking_reminders"),
    path(
        "compte/calendrier/nouvelle-adresse/",
        account.calendar_feed_new,
        name="calendar_feed_new",
    ),
    path(
        "compte/calendrier/supprimer/",
        account.calendar_feed_delete,
        name="calendar_feed_delete",
    ),
    path("calendrier/<str:token>.ics", feed.calendar_feed, name="calendar_feed"),
    path("documents/<uuid:uuid>/", documents.document_download, name="document"),
    path("pieces-jointes/<uuid:uuid>/", documents.attachment_download, name="attachment"),
    path("inscription/", registration.registration, name="registration_start"),
    path("inscription/<int:step>/", registration.registration, name="registration"),
    path(
        "inscription/confirmation/<str:token>/",
        registration.registration_confirm_view,
        name="registration_confirm",
    ),
]
