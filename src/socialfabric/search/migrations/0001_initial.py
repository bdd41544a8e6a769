from django.db import migrations, models


def create_and_fill(apps, schema_editor) -> None:
    from socialfabric.search import index

    index.rebuild()  # creates the structures, then indexes the posts already there


def drop(apps, schema_editor) -> None:
    from socialfabric.search import index

    index.drop()


class Migration(migrations.Migration):
    initial = True
    dependencies = [("conversations", "0005_live_thread_indexes"), ("org", "0003_token_scopes_and_expiry"),
                    ("communities", "0005_invitation_revoked_at")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Entry",
                    fields=[("post_id", models.BigIntegerField(primary_key=True, serialize=False))],
                    options={"db_table": "search_post"},
                ),
            ],
            database_operations=[migrations.RunPython(create_and_fill, drop)],
        ),
    ]
