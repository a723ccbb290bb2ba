# The usage outbox of payments.report_usage (models/usage.py).

import django_stripe.models.usage
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_stripe', '0006_backfill_segments'),
    ]

    operations = [
        migrations.CreateModel(
            name='UsageReport',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('customer_id', models.CharField(db_index=True, max_length=255)),
                ('billable', models.CharField(help_text='The billable that reported it (app_label.model:pk).', max_length=255)),
                ('event_name', models.CharField(max_length=100)),
                ('value', models.BigIntegerField()),
                ('identifier', models.CharField(default=django_stripe.models.usage.new_identifier, help_text="Stripe's deduplication key.", max_length=100, unique=True)),
                ('timestamp', models.DateTimeField(help_text='When the usage happened (the meter event\'s timestamp).')),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('refused', 'Refused')], default='pending', max_length=16)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(help_text='When the row may be sent (again).')),
                ('refusal_reason', models.TextField(blank=True, help_text="Stripe's reason, when it refused the event.")),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'db_table': 'django_stripe_usage_report',
                'indexes': [models.Index(fields=['state', 'next_attempt_at'], name='djstripe_usage_due_idx')],
            },
        ),
    ]
