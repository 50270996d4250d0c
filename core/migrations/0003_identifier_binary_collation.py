"""Identifier columns of core compare exactly on MySQL/MariaDB (binary, no PAD SPACE); nothing elsewhere.

See core.collation. Forward only: reversing keeps the binary collation.
"""

from django.db import migrations

from core.collation import identifier_collation_operation


class Migration(migrations.Migration):
    dependencies = [("core", "0002_role_groups")]

    operations = [identifier_collation_operation("core")]
