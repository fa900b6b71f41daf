# The schedule `punchlist worker` keeps without cron: one claimed run per job and slot.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rhythm', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScheduledRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=40)),
                ('slot', models.CharField(max_length=40)),
                ('queued_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('name', 'slot'), name='scheduled_run_once_per_slot')],
            },
        ),
    ]
