from django.urls import re_path

from integrations.webhooks.base import dispatch

app_name = "webhooks"

# With or without the trailing slash: a POST cannot be redirected to add one.
urlpatterns = [
    re_path(r"^(?P<source>[A-Za-z0-9_-]+)/?$", dispatch, name="receive"),
]
