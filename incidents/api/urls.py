from django.urls import include, path

urlpatterns: list = [
    path("", include("incidents.api.response")),
]
