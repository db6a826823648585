from django.db import models

from incidents.choices import Category
from incidents.models.followup import Audience
from incidents.models.history import audited_history


class CommunicationTemplate(models.Model):
    """Staff-edited wording for an update, rendered with the incident's data.

    Subject and body use the Django template language. They see plain values only
    (see incidents.communications.template_context), never model instances.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    category = models.CharField(
        max_length=20,
        choices=Category.choices,
        blank=True,
        help_text="Offered only for incidents of this category; empty for any.",
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    active = models.BooleanField(default=True)

    history = audited_history()

    class Meta:
        ordering = ["audience", "slug"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from incidents.communications import compile_template

        compile_template("subject", self.subject)
        compile_template("body", self.body)
