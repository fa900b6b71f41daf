import uuid

from django.db import migrations, models


def draw_seeds(apps, schema_editor):
    """Each existing organization its own seed (a field default would give them all one)."""
    Organization = apps.get_model("orgs", "Organization")
    for organization in Organization.objects.only("pk"):
        Organization.objects.filter(pk=organization.pk).update(oscal_seed=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_versions")]

    operations = [
        migrations.AddField(model_name="organization", name="ssp_href",
                            field=models.CharField(blank=True, default="", max_length=500)),
        migrations.AddField(model_name="organization", name="oscal_seed",
                            field=models.UUIDField(default=uuid.uuid4, editable=False, null=True)),
        migrations.RunPython(draw_seeds, migrations.RunPython.noop),
        migrations.AlterField(model_name="organization", name="oscal_seed",
                              field=models.UUIDField(default=uuid.uuid4, editable=False)),
    ]
