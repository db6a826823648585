from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print the API token of a user, creating it on first use. "
        "Tools send it as `Authorization: Token <token>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the tool acts as.")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"User {username!r} not found: create it first with `manage.py createsuperuser` "
                "or in the admin."
            ) from None
        if not user.is_active:
            raise CommandError(
                f"User {username!r} is inactive: activate it before issuing a token."
            )

        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
