"""The invitation email search index keeps a short GIN pending list (core.indexes.TrigramPendingListLimit)."""

from django.db import migrations

from core.indexes import TrigramPendingListLimit


class Migration(migrations.Migration):
    dependencies = [
        ('enrollments', '0008_pending_email_trigram_index'),
    ]

    operations = [
        TrigramPendingListLimit('enrollments_pending_email_trgm_idx'),
    ]
