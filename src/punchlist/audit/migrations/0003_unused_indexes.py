"""Drop the audit trail's indexes on organization and actor: events are found by (organization, subject)
and (object_type, object_id), never by actor, and an import writes an event per item.

Dropped by name rather than by AlterField, which on SQLite would rebuild the table and with it lose the
append-only triggers (0002). The names are the ones Django gave them (the same on SQLite and PostgreSQL).

PostgreSQL also had a second index on the hash for LIKE look-ups (Django makes one beside every unique
varchar); nothing searches hashes by prefix, and the unique index stays.
"""

from django.conf import settings
from django.db import migrations, models

HASH_LIKE = "audit_auditevent_hash_d0c402da_like"
INDEXES = [  # (name, column)
    ("audit_auditevent_organization_id_4b1fe3b9", "organization_id"),
    ("audit_auditevent_actor_id_270bb4b7", "actor_id"),
]


def drop_hash_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{HASH_LIKE}"')


def create_hash_like(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE INDEX "{HASH_LIKE}" ON "audit_auditevent" ("hash" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_append_only_triggers"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="organization",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=models.deletion.PROTECT, related_name="+",
                                            to="orgs.organization"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  reverse_sql=f'CREATE INDEX "{name}" ON "audit_auditevent" ("{column}")')
                for name, column in INDEXES
            ] + [migrations.RunPython(drop_hash_like, create_hash_like)],
        ),
    ]
