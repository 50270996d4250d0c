"""python manage.py grant_role USERNAME ROLE... : add a user (created when missing) to role groups."""

from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.models import User
from core.roles import ALL_ROLES


class Command(BaseCommand):
    help = f"Grant roles to a user, creating the user when missing. Roles: {', '.join(ALL_ROLES)}, staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("roles", nargs="+", metavar="ROLE")
        parser.add_argument("--revoke", action="store_true", help="Remove the roles instead of granting them.")

    def handle(self, *args: Any, username: str, roles: list[str], revoke: bool, **options: Any) -> None:
        unknown = [role for role in roles if role not in ALL_ROLES and role != "staff"]
        if unknown:
            raise CommandError(f"Unknown role(s): {', '.join(unknown)}. Known: {', '.join(ALL_ROLES)}, staff.")
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
        verb = "Revoked" if revoke else "Granted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {', '.join(roles)} for {username}."))
