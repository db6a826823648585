from django.db import models

from incidents.models.history import audited_history


class Service(models.Model):
    """A part of the platform an incident can affect; staff edit the list in the admin."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    history = audited_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
