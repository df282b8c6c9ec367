from django.urls import include, path

from perisco.web.views import public

handler400 = "perisco.web.views.errors.bad_request"

urlpatterns = [
    path("", public.root, name="root"),
    path("healthz", public.healthz, name="healthz"),
    path("langue/", public.set_language, name="set_language"),
    path("plateforme/organisations/", include("perisco.hosting.urls")),
    path("<slug:org_slug>/", include("perisco.web.urls")),
    path("<slug:org_slug>/famille/", include("perisco.portal.urls")),
    path("<slug:org_slug>/gestion/", include("perisco.backoffice.urls")),
]
