from django.urls import path

from perisco.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("personnel/", views.staff, name="staff"),
    path("personnel/<int:pk>/role/", views.staff_role, name="staff_role"),
    path("personnel/<int:pk>/actif/", views.staff_active, name="staff_active"),
    path("personnel/<int:pk>/invitation/", views.staff_reinvite, name="staff_reinvite"),
    path(
        "personnel/<int:pk>/double-authentification/", views.staff_reset_2fa, name="staff_reset_2fa"
    ),
    path("comptes-familles/", views.guardian_accounts, name="guardian_accounts"),
    path(
        "comptes-familles/<int:pk>/invitation/",
        views.guardian_invite,
        name="guardian_invite",
    ),
    path("parametres/", views.settings, name="settings"),
    path("journal/", views.audit, name="audit"),
]
