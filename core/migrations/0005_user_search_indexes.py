"""Learner search without a sequential scan of core_user (docs/scaling.rst, bench/scale.py).

Built concurrently on PostgreSQL (core.indexes), so this migration runs outside a transaction.
"""

import django.db.models.functions.text
from django.db import migrations, models

from core.indexes import AddIndexConcurrentlyOnPostgres, AnalyzeOnPostgres, TrigramIndexOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('core', '0004_user_retired_at'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='user',
            index=models.Index(django.db.models.functions.text.Upper('username'), name='core_user_username_upper_idx'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='user',
            index=models.Index(django.db.models.functions.text.Upper('email'), name='core_user_email_upper_idx'),
        ),
        TrigramIndexOnPostgres(table='core_user', column='username', name='core_user_username_trgm_idx'),
        TrigramIndexOnPostgres(table='core_user', column='email', name='core_user_email_trgm_idx'),
        TrigramIndexOnPostgres(table='core_user', column='full_name', name='core_user_full_name_trgm_idx'),
        AnalyzeOnPostgres('core_user'),
    ]
