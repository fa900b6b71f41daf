# The evidence vault: custodian, collection and review-by dates, links to more items and to
# requirements, the recognised file type, and the vault storage (PUNCHLIST_EVIDENCE_DIR).

import django.db.models.deletion
import punchlist.register.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('register', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EvidenceRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requirement', models.CharField(max_length=10)),
            ],
            options={
                'ordering': ['evidence', 'requirement'],
            },
        ),
        migrations.AddField(
            model_name='evidence',
            name='collected_on',
            field=models.DateField(blank=True, help_text='When the evidence was collected.', null=True),
        ),
        migrations.AddField(
            model_name='evidence',
            name='custodian',
            field=models.ForeignKey(blank=True, help_text='Who keeps this evidence and answers for it.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='evidence',
            name='file_type',
            field=models.CharField(blank=True, db_default='', default='', max_length=60),
        ),
        migrations.AddField(
            model_name='evidence',
            name='linked_items',
            field=models.ManyToManyField(blank=True, related_name='linked_evidence', to='register.poamitem'),
        ),
        migrations.AddField(
            model_name='evidence',
            name='review_by',
            field=models.DateField(blank=True, help_text='When it must be looked at again to stay current.', null=True),
        ),
        migrations.AlterField(
            model_name='evidence',
            name='file',
            field=models.FileField(blank=True, max_length=300, storage=punchlist.register.models.evidence_storage, upload_to=punchlist.register.models.evidence_path),
        ),
        migrations.AddIndex(
            model_name='evidence',
            index=models.Index(fields=['sha256'], name='evidence_sha256_idx'),
        ),
        migrations.AddField(
            model_name='evidencerequirement',
            name='evidence',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='requirement_links', to='register.evidence'),
        ),
        migrations.AddConstraint(
            model_name='evidencerequirement',
            constraint=models.UniqueConstraint(fields=('evidence', 'requirement'), name='requirement_once_per_evidence'),
        ),
    ]
