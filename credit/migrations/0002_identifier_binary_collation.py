"""Identifier columns of credit compare exactly on MySQL/MariaDB (binary, no PAD SPACE); nothing elsewhere.

See core.collation. Forward only: reversing keeps the binary collation.
"""

from django.db import migrations

from core.collation import identifier_collation_operation


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]

    operations = [identifier_collation_operation("credit")]
