from socialfabric.activity.models import Activity
from socialfabric.conversations import services as conv
from socialfabric.feed import services as feed


def test_post_reply_feed_roundtrip(alice, bob, open_community):
    q = conv.create_post(alice, open_community, kind="question", title="How?", body="Ask @bob about #Roadmap")
    r1 = conv.create_reply(bob, q.id, body="Like this")
    r2 = conv.create_reply(alice, r1.id, body="Thanks")
    conv.react(bob, q.id, "like")
    conv.react(bob, q.id, "like")
    conv.accept_answer(alice, q.id, r1.id)
    page = feed.home_feed(bob)
    assert [i.post.id for i in page.items] == [q.id]
    assert page.items[0].post.reply_count == 2
    assert page.items[0].reactions == {"like": 1}
    assert page.items[0].mine == ["like"]
    assert r2.depth == 2 and r2.root_id == q.id
    verbs = sorted(Activity.objects.values_list("verb", flat=True))
    assert verbs.count("react") == 1 and "accept_answer" in verbs and "mention" in verbs
    assert 'href="/people/bob/"' in q.body_html and 'href="/topics/roadmap/"' in q.body_html
