"""Make audit_auditevent append-only in the database itself: UPDATE and DELETE (and TRUNCATE on PostgreSQL)
are refused by triggers, whatever code or tool issues them."""

from django.db import migrations

from punchlist.audit import triggers


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that applies only on one database vendor (the trigger languages differ)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql, hints={"vendor": vendor})

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        VendorRunSQL("sqlite", triggers.SQLITE_INSTALL, triggers.SQLITE_REMOVE),
        VendorRunSQL("postgresql", triggers.POSTGRESQL_INSTALL, triggers.POSTGRESQL_REMOVE),
    ]
