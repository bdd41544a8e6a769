"""Personal access tokens get scopes and an expiry (issue 9, F6).

Tokens made before this migration keep working exactly as before: they get the scopes
"read write" (the column's default) and no expiry (expires_at stays NULL). New tokens are
made by org.services.create_token, which sets both (90 days unless chosen otherwise)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0002_profiles'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesstoken',
            name='scopes',
            field=models.CharField(default='read write', help_text='Granted scopes, space separated', max_length=40),
        ),
        migrations.AddField(
            model_name='accesstoken',
            name='expires_at',
            field=models.DateTimeField(blank=True, help_text='Stops working then; empty: never', null=True),
        ),
    ]
