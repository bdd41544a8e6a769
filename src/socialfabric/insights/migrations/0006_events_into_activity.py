"""The insights' own event table becomes a view over the activity stream (issue 7).

Existing interaction events are copied into the stream with the verb and object the
services now record, then the table goes. Kinds map to verbs one to one, so every report
on the copied data is the one it was.
"""

from django.db import migrations

COPY = """
INSERT INTO activity_activity (actor_id, verb, object_type, object_id, target_id, community_id, created_at, details)
SELECT actor_id,
       CASE kind WHEN 'reaction' THEN 'react' WHEN 'accepted_answer' THEN 'accept_answer' ELSE kind END,
       CASE kind WHEN 'follow' THEN 'member' WHEN 'join' THEN 'community' ELSE 'post' END,
       CASE kind WHEN 'follow' THEN target_id WHEN 'join' THEN community_id ELSE post_id END,
       target_id, community_id, created_at, '{}'
FROM insights_interactionevent ORDER BY id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("activity", "0001_initial"),
        ("insights", "0005_report_worker"),
    ]

    operations = [
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(name="InteractionEvent"),
    ]
