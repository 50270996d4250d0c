"""Admin contains-search on invitation emails by index on PostgreSQL (core.indexes; built concurrently)."""

from django.db import migrations

from core.indexes import TrigramIndexOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('enrollments', '0007_history_record_source'),
    ]

    operations = [
        TrigramIndexOnPostgres(
            table='enrollments_pendingenrollment', column='email', name='enrollments_pending_email_trgm_idx'
        ),
    ]
