import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or reset a staff superuser for the demo and print its new password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="Username to create or reset.")

    def handle(self, *args, username: str, **options):
        password = secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()

        verb = "Created" if created else "Reset the password of"
        self.stdout.write(f"{verb} the admin user {username!r}; its password is: {password}")
