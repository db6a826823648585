from collections.abc import Iterable

from django.core.exceptions import ValidationError


def reject_unknown_fields(fields: Iterable[str], editable: Iterable[str], *, on: str) -> None:
    """Raise ValidationError naming the first field an edit service does not accept."""
    unknown = set(fields) - set(editable)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError({name: f"{name} cannot be edited on {on}."})
