"""The learner search indexes keep a short GIN pending list (core.indexes.TrigramPendingListLimit)."""

from django.db import migrations

from core.indexes import TrigramPendingListLimit


class Migration(migrations.Migration):
    dependencies = [
        ('core', '0005_user_search_indexes'),
    ]

    operations = [
        TrigramPendingListLimit('core_user_username_trgm_idx', 'core_user_email_trgm_idx', 'core_user_full_name_trgm_idx'),
    ]
