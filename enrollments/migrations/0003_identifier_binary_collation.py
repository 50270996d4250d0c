"""Identifier columns of enrollments compare exactly on MySQL/MariaDB (binary, no PAD SPACE); nothing elsewhere.

See core.collation. Forward only: reversing keeps the binary collation.
"""

from django.db import migrations

from core.collation import identifier_collation_operation


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0002_pending_enrollment")]

    operations = [identifier_collation_operation("enrollments")]
