from django.urls import path

from perisco.hosting import views

app_name = "hosting"

urlpatterns = [
    path("", views.organisations, name="organisations"),
]
