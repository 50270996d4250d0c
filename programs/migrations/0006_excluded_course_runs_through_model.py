"""Program.excluded_course_runs gets a through model (ProgramExcludedCourseRun) over its existing table.

Only Django's state changes: the table, its columns and its unique constraint are the ones the plain
many-to-many field made, so no row moves.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0005_courserun_catalog_event_time"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ProgramExcludedCourseRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('courserun', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='programs.courserun')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='programs.program')),
                    ],
                    options={
                        'db_table': 'programs_program_excluded_course_runs',
                        'unique_together': {('program', 'courserun')},
                    },
                ),
                migrations.AlterField(
                    model_name='program',
                    name='excluded_course_runs',
                    field=models.ManyToManyField(blank=True, help_text="Runs of the program's courses that do not count.", related_name='excluding_programs', through='programs.ProgramExcludedCourseRun', to='programs.courserun'),
                ),
            ],
        ),
    ]
