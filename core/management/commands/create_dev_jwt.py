"""python manage.py create_dev_jwt USERNAME : print a JWT signed with the configured dev secret."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.jwt import encode_jwt


class Command(BaseCommand):
    help = "Print a JWT (HS256, JWT_SECRET_KEY/JWT_ISSUER/JWT_AUDIENCE) for local development."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--lms-user-id", type=int, default=None)
        parser.add_argument("--email", default=None)
        parser.add_argument("--administrator", action="store_true", help="Set the administrator (staff) claim.")
        parser.add_argument("--expires-in", type=int, default=3600, help="Lifetime in seconds (default 3600).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.JWT_SECRET_KEY:
            raise CommandError("No JWT_SECRET_KEY is configured: this service trusts no HS256 secret to sign with.")
        self.stdout.write(
            encode_jwt(
                username=options["username"],
                lms_user_id=options["lms_user_id"],
                email=options["email"],
                administrator=options["administrator"],
                expires_in=options["expires_in"],
            )
        )
