"""Reads of incidents. Every read goes through `incidents_visible_to`.

The admin, the API and the report exports all start from this selector, so an access
rule added here applies to each of them.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from incidents.models import Alert, Incident


def incidents_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Incident]:
    """Return the incidents this user may see: today, staff see all and others none."""
    if user.is_active and user.is_staff:
        return Incident.objects.all()
    return Incident.objects.none()


def alerts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Alert]:
    """Return alerts of visible incidents, and unattached alerts for staff."""
    if user.is_active and user.is_staff:
        return Alert.objects.all()
    return Alert.objects.filter(incident__in=incidents_visible_to(user))
