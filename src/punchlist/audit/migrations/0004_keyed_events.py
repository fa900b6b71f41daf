"""Events keyed with a secret the database does not hold (``chain.audit_keys``): each names its key. Events of
before stay as they are (``key_id`` NULL, plain SHA-256) and the first keyed event anchors them.

A nullable column is added in place (ALTER TABLE ADD COLUMN) on both databases; the SQLite triggers are
installed again all the same, should a future Django rebuild the table for it."""

from django.db import migrations, models

from punchlist.audit import triggers


def reinstall_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_unused_indexes")]

    operations = [
        migrations.AddField(model_name="auditevent", name="key_id",
                            field=models.CharField(blank=True, max_length=16, null=True)),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop),
    ]
