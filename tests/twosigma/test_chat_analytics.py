"""Cache analytics for platform admins: hits, misses, hit rate, divergence rate, nodes
and hits served, with exact figures, over REST and GraphQL."""

from __future__ import annotations

from resolvers import chat_cache
from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.chat_helpers import API, greet, learner, open_session, send, topic

URL = f"{API}/admin/analytics/cache"
QUERY = """{ chatCacheAnalytics { cacheHits cacheMisses hitRate sessionDivergenceRate
             totalCachedNodes totalHitsServed } }"""


async def test_cache_figures_are_exact(client, services, fake_anthropic):
    admin = await learner(services, "root@example.com", roles=["PLATFORM_ADMIN"])
    empty = await client.get(URL, headers=admin.headers)
    assert empty.status_code == 200
    assert empty.json() == {"cache_hits": 0, "cache_misses": 0, "hit_rate": 0.0,
                            "session_divergence_rate": 0.0, "total_cached_nodes": 0,
                            "total_hits_served": 0}

    item = await topic(services)
    plain = await topic(services, title="Loops", cache_enabled=False)
    people = [await learner(services, f"u{i}@example.com") for i in range(5)]
    ada, bob, carl, dan, eve = people
    sessions = [await open_session(client, p, plain if p is dan else item) for p in people]
    fake_anthropic.reply_text("Hello!")                      # ada's greeting: miss
    await greet(client, ada, sessions[0]["id"])
    await greet(client, bob, sessions[1]["id"])               # hit
    fake_anthropic.reply_text("Correct.")                    # bob's MCQ: miss
    await send(client, bob, sessions[1]["id"], {"questionId": 1, "answer": "B"})
    await greet(client, carl, sessions[2]["id"])              # hit
    fake_anthropic.reply_text("Good question.")              # free text: neither
    await send(client, carl, sessions[2]["id"], "Why is that?")
    fake_anthropic.reply_text("Hi (no cache).")              # cache off: neither
    await greet(client, dan, sessions[3]["id"])
    await greet(client, eve, sessions[4]["id"])               # hit
    assert len(fake_anthropic.recorded()) == 4
    await chat_cache.hits_written(services.db)  # hits are written a moment after the answer

    response = await client.get(URL, headers=admin.headers)
    data = await gql(client, QUERY, headers=admin.headers)

    assert response.status_code == 200
    assert response.json() == {"cache_hits": 3, "cache_misses": 2, "hit_rate": 60.0,
                               "session_divergence_rate": 20.0, "total_cached_nodes": 2,
                               "total_hits_served": 3}
    assert data["chatCacheAnalytics"] == {
        "cacheHits": 3, "cacheMisses": 2, "hitRate": 60.0, "sessionDivergenceRate": 20.0,
        "totalCachedNodes": 2, "totalHitsServed": 3}


async def test_only_platform_admins(client, services):
    student = await learner(services)
    instructor = await learner(services, "ins@example.com", roles=["INSTRUCTOR"])

    anonymous = await client.get(URL)
    forbidden = await client.get(URL, headers=student.headers)
    also_forbidden = await client.get(URL, headers=instructor.headers)
    graphql = await gql_raw(client, QUERY, headers=instructor.headers)

    assert anonymous.status_code == 401
    assert forbidden.status_code == 403 and also_forbidden.status_code == 403
    assert forbidden.json() == {"detail": "You do not have permission to do this"}
    assert error_codes(graphql) == ["FORBIDDEN"]
