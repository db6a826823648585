"""The Django model permissions of the API, the same ones that the admin checks.

REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] applies `ModelPermissions` to every API
view. Which incidents a user sees is decided afterwards by `incidents_visible_to`.

Status changes, runbook starts, approving and sending updates, and holding and
publishing retrospectives need `change_<model>` here, as their admin actions do.
"""

from typing import TYPE_CHECKING

from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    # rest_framework.views imports this module through DEFAULT_PERMISSION_CLASSES.
    from rest_framework.views import APIView

# The admin's action for each HTTP method. Reads need `view`, and writes the others.
METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def permission_name(model: type[Model], action: str) -> str:
    """Return the name that `User.has_perm` takes, such as "incidents.view_incident"."""
    opts = model._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


def required_permission(request: Request, view: "APIView") -> str:
    """Return the permission name that this request needs on this view."""
    overrides = getattr(view, "required_permissions", {})
    # A viewset's extra actions share an HTTP method with its standard ones, so they
    # are looked up by action name first.
    for key in (getattr(view, "action", None), request.method):
        if key in overrides:
            return overrides[key]

    if request.method not in METHOD_ACTIONS:
        raise MethodNotAllowed(request.method)
    model = getattr(view, "permission_model", None)
    if model is None:
        raise ImproperlyConfigured(
            f"{type(view).__name__} sets no permission_model, so ModelPermissions cannot "
            f"check a {request.method} request. Set it to the model whose admin governs "
            "the view."
        )
    return permission_name(model, METHOD_ACTIONS[request.method])


class ModelPermissions(BasePermission):
    """Require a staff user with the model permission that the admin would require.

    Each view sets `permission_model`, the model whose admin governs it. A GET, HEAD or
    OPTIONS request then needs `view_<model>`, POST `add_<model>`, PUT and PATCH
    `change_<model>`, and DELETE `delete_<model>`. A route that needs another
    permission, such as a POST that changes a status, is listed in the view's
    `required_permissions`, which maps a viewset action or an HTTP method to a
    permission name such as "incidents.change_incident".

    Unauthenticated requests get 401, and requests from users who are not staff or who
    lack the permission get 403. A staff superuser passes every check, because
    `has_perm` grants an active superuser every permission.
    """

    def has_permission(self, request: Request, view: "APIView") -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if not user.is_staff:
            self.message = "Only staff users can use this endpoint."
            return False

        if request.method not in view.allowed_methods:
            # The view returns 405 Method Not Allowed and runs nothing.
            return True

        required = required_permission(request, view)
        if user.has_perm(required):
            return True
        self.message = (
            f"Missing permission {required}. "
            "An administrator can grant it to your user or to one of your groups."
        )
        return False
