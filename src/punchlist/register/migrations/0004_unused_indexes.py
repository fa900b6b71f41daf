"""Drop indexes that nothing reads and every insert writes (an import of 50,000 items writes each 50,000 times).

The organization's own index on items is covered by the unique (organization, identifier) and the two
(organization, ...) indexes; an item's requirement links by the unique (item, requirement). Nothing looks
items up by created_by or verified_by, nor evidence by added_by.

The indexes are dropped by name rather than by AlterField: on SQLite, AlterField of a foreign key rebuilds
the whole table. The names are the ones Django gave them (the same on SQLite and PostgreSQL).
"""

from django.conf import settings
from django.db import migrations, models

INDEXES = [  # (name, table, column)
    ("register_poamitem_organization_id_31736339", "register_poamitem", "organization_id"),
    ("register_poamitem_created_by_id_f99c83cd", "register_poamitem", "created_by_id"),
    ("register_poamitem_verified_by_id_992a9055", "register_poamitem", "verified_by_id"),
    ("register_itemrequirement_item_id_c46ec7bd", "register_itemrequirement", "item_id"),
    ("register_evidence_added_by_id_10e41654", "register_evidence", "added_by_id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("register", "0003_import_profiles"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="poamitem",
                    name="organization",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE, related_name="items",
                                            to="orgs.organization"),
                ),
                migrations.AlterField(
                    model_name="poamitem",
                    name="created_by",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="poamitem",
                    name="verified_by",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="itemrequirement",
                    name="item",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE,
                                            related_name="requirement_links", to="register.poamitem"),
                ),
                migrations.AlterField(
                    model_name="evidence",
                    name="added_by",
                    field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
                for name, table, column in INDEXES
            ],
        ),
    ]
