"""The index's table as Django knows it: so that Django empties it with the rest (tests' flush).

The table itself is made by search.index.create (an FTS5 virtual table on SQLite, a tsvector
table on PostgreSQL) and read and written only by hand-written statements there and in
search.services; nothing uses this model's manager.
"""

from django.db import models


class Entry(models.Model):
    post_id = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "search_post"
