"""Issue 11 point 4 (second part): tamper evidence. Every activity record carries a hash
chaining it to the one before; `socialfabric audit verify` recomputes the chain and names the
first broken record; on PostgreSQL a trigger refuses UPDATE and DELETE on the table."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from socialfabric.activity import chain, record
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.conversations import services as conv
from socialfabric.governance import moderation

TABLE = Activity._meta.db_table


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def tamper(sql: str, params: list | None = None) -> None:
    """Write around the services, as someone with the database's password would. On PostgreSQL
    they would have to switch triggers off first (a superuser can)."""
    with connection.cursor() as cursor:
        if on_postgres():
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        if on_postgres():
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def stream(alice, bob, open_community):
    post = conv.create_post(bob, open_community, body="Quarterly numbers are in")
    conv.create_reply(alice, post.id, body="Thanks, reading now")
    moderation.flag_post(alice, post.id, reason="confidential", text="Not for partners")
    conv.react(alice, post.id, "like")
    ids = list(Activity.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) >= 6
    return ids


def test_each_record_chains_to_the_one_before(stream):
    rows = list(Activity.objects.order_by("id"))
    assert bytes(rows[0].prev_hash) == chain.GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert bytes(after.prev_hash) == bytes(before.hash) and len(bytes(after.hash)) == 32
    verdict = chain.verify()
    assert verdict.intact and verdict.checked == len(rows)
    assert verdict.head_id == rows[-1].id and verdict.head_hash == bytes(rows[-1].hash).hex()


def test_details_hash_the_same_after_the_database_round_trip(alice):
    # jsonb reads 1e16 back as an int and keeps keys in its own order; SQLite keeps text.
    with transaction.atomic():
        record(Verb.EXPORT_AUDIT, alice, object_type=ObjectType.MEMBER, object_id=alice.id,
               details={"z": 1.0, "big": 1e16, "half": 0.5, "name": "Zoë ✓", "nested": {"b": [1, 2.0], "a": None}})
    assert chain.verify().intact


def test_verify_names_a_modified_record(stream):
    victim = stream[2]
    tamper(f"UPDATE {TABLE} SET details = %s WHERE id = %s", ['{"reason": "spam"}', victim])
    verdict = chain.verify()
    assert verdict.broken_id == victim and "changed" in verdict.reason
    assert verdict.checked == 2  # the two before it are intact


def test_verify_names_a_record_whose_actor_was_swapped(stream, carol):
    tamper(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [carol.id, stream[-1]])
    assert chain.verify().broken_id == stream[-1]


def test_verify_names_the_record_after_a_deleted_one(stream):
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [stream[3]])
    verdict = chain.verify()
    assert verdict.broken_id == stream[4] and "removed" in verdict.reason and str(stream[2]) in verdict.reason


def test_verify_notices_the_first_record_deleted(stream):
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [stream[0]])
    verdict = chain.verify()
    assert verdict.broken_id == stream[1] and "removed" in verdict.reason


@pytest.mark.parametrize("chained", [False, True], ids=["made-up hash", "hash chained like an honest one"])
def test_verify_names_an_inserted_record(stream, chained):
    # Ids follow the chain with no room between them, so a forged record goes before the
    # first one (a free id), chained to the start as the first record is.
    first = Activity.objects.get(id=stream[0])
    ident = stream[0] - 1
    digest = (chain.link(chain.GENESIS, ident, first.created_at, first.actor_id, "post", "post", 99, None, None, {})
              if chained else b"\x01" * 32)
    tamper(f"INSERT INTO {TABLE} (id, actor_id, verb, object_type, object_id, target_id, community_id, created_at,"
           " details, prev_hash, hash) VALUES (%s, %s, 'post', 'post', 99, NULL, NULL, %s, %s, %s, %s)",
           [ident, first.actor_id, first.created_at, "{}", chain.GENESIS, digest])
    verdict = chain.verify()
    assert verdict.broken_id == ident and "inserted" in verdict.reason and verdict.checked == 0


def test_verify_names_a_record_written_around_the_chain(stream, alice):
    tamper(f"INSERT INTO {TABLE} (id, actor_id, verb, object_type, object_id, target_id, community_id, created_at,"
           " details, prev_hash, hash)"
           " VALUES (%s, %s, 'post', 'post', 99, NULL, NULL, CURRENT_TIMESTAMP, '{}', %s, %s)",
           [stream[-1] + 1, alice.id, b"", b""])
    verdict = chain.verify()
    assert verdict.broken_id == stream[-1] + 1 and "no hash" in verdict.reason and verdict.checked == len(stream)


def test_audit_verify_command(stream, capsys):
    call_command("audit", "verify", "--quiet")
    out = capsys.readouterr().out
    assert "intact" in out and f"{len(stream)} records" in out and f"record {stream[-1]}" in out
    tamper(f"UPDATE {TABLE} SET verb = 'hide' WHERE id = %s", [stream[1]])
    with pytest.raises(CommandError, match=f"broken at record {stream[1]}.*changed"):
        call_command("audit", "verify", "--quiet")


def test_a_member_with_acts_cannot_be_deleted(stream, bob):
    with pytest.raises(ProtectedError):
        bob.delete()


def test_postgres_refuses_update_and_delete_of_records(stream):
    if not on_postgres():
        # SQLite: the file belongs to whoever runs the server; the chain is the evidence.
        assert chain.verify().intact
        return
    for sql in (f"UPDATE {TABLE} SET verb = 'hide' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [stream[0]])
    assert Activity.objects.count() == len(stream) and chain.verify().intact


@pytest.mark.django_db(transaction=True)
def test_concurrent_acts_make_one_chain(make_member, unit):
    """Writers in parallel (threads, each its own connection) still leave one line."""
    if not on_postgres():
        pytest.skip("the SQLite test database lives in memory, one connection at a time; IMMEDIATE "
                    "transactions serialise writers on a real SQLite file")
    from socialfabric.communities import services as communities

    people = [make_member(f"writer{i}", unit=unit) for i in range(4)]
    place = communities.create_community(people[0], name="Busy room")
    for p in people[1:]:
        communities.join(p, place)
    errors: list[BaseException] = []

    def write(who) -> None:
        try:
            for i in range(8):
                conv.create_post(who, place, body=f"note {i} from {who.handle}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = chain.verify()
    assert verdict.intact and verdict.checked == Activity.objects.count() >= 32
