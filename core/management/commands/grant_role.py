"""python manage.py grant_role USERNAME ROLE... [--password]: add a user (created when missing) to role groups."""

import getpass
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.models import User
from core.roles import ALL_ROLES


class Command(BaseCommand):
    help = f"Grant roles to a user, creating the user when missing. Roles: {', '.join(ALL_ROLES)}, staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("roles", nargs="+", metavar="ROLE")
        parser.add_argument("--revoke", action="store_true", help="Remove the roles instead of granting them.")
        parser.add_argument(
            "--password",
            action="store_true",
            help="Ask for a password (twice, not echoed) so the user can sign in to the support console and admin.",
        )

    def handle(
        self, *args: Any, username: str, roles: list[str], revoke: bool, password: bool = False, **options: Any
    ) -> None:
        unknown = [role for role in roles if role not in ALL_ROLES and role != "staff"]
        if unknown:
            raise CommandError(f"Unknown role(s): {', '.join(unknown)}. Known: {', '.join(ALL_ROLES)}, staff.")
        new_password = self._ask_password(User(username=username)) if password else None
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
            self.stdout.write(f"Created user {username}.")
        for role in roles:
            if role == "staff":
                user.is_staff = not revoke
                user.save(update_fields=["is_staff"])
                continue
            group, _ = Group.objects.get_or_create(name=role)
            (user.groups.remove if revoke else user.groups.add)(group)
        if new_password is not None:
            user.set_password(new_password)
            user.save(update_fields=["password"])
            self.stdout.write(f"Password set for {username}.")
        verb = "Revoked" if revoke else "Granted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {', '.join(roles)} for {username}."))

    def _ask_password(self, user: User) -> str:
        """A password typed twice and accepted by AUTH_PASSWORD_VALIDATORS (CommandError otherwise)."""
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match; nothing was changed.")
        try:
            validate_password(first, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages) + " Nothing was changed.") from exc
        return first
