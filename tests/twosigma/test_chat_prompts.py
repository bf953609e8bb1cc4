"""The tutor's system prompt comes from the prompt library: the production version of
the prompt linked to the content's type, dependencies resolved and the content's fields
filled in; publishing a new production version starts a new cache tree."""

from __future__ import annotations

from sqlalchemy import select, update

from models.chat_cache import ChatCacheNode
from models.course import ContentType
from tests.twosigma.chat_helpers import API, chunks_of, greet, learner, open_session, topic

PROTOCOL = "Always end with a question."
TEMPLATE = ("You tutor {{title}} at {{level}} level.\n"
            "@@@langfusePrompt:name=Tutor Protocol|label=production@@@")


async def publish(client, author, name: str, text: str) -> dict:
    response = await client.post(f"{API}/prompts/", headers=author.headers, json={
        "name": name, "prompt": text, "labels": ["production"], "tags": ["tutor"]})
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_production_prompt_of_the_content_type_is_used_and_keys_the_cache(
        client, services, fake_anthropic):
    author = await learner(services, "author@example.com", roles=["PLATFORM_ADMIN"])
    await publish(client, author, "Tutor Protocol", PROTOCOL)
    first = await publish(client, author, "Video Tutor", TEMPLATE)
    item = await topic(services)
    async with services.db.transaction() as db:
        await db.execute(update(ContentType).where(ContentType.id == item.content_type_id)
                         .values(prompt_name="Video Tutor"))
    ada, bob, cy = (await learner(services), await learner(services, "bob@example.com"),
                    await learner(services, "cy@example.com"))

    fake_anthropic.reply_text("Hi! What is a base case?")
    await greet(client, ada, (await open_session(client, ada, item))["id"])
    system = fake_anthropic.last_request.system_text
    assert system == f"You tutor Recursion at beginner level.\n{PROTOCOL}"

    calls = len(fake_anthropic.recorded())
    _, events = await greet(client, bob, (await open_session(client, bob, item))["id"])
    assert "".join(chunks_of(events)) == "Hi! What is a base case?"
    assert len(fake_anthropic.recorded()) == calls  # the same prompt version: a cache hit

    second = await publish(client, author, "Video Tutor", TEMPLATE + "\nBe brief.")
    fake_anthropic.reply_text("Hello again.")
    _, events = await greet(client, cy, (await open_session(client, cy, item))["id"])
    assert "".join(chunks_of(events)) == "Hello again."
    assert fake_anthropic.last_request.system_text.endswith("Be brief.")
    async with services.db.session() as db:
        keys = sorted((await db.execute(select(ChatCacheNode.prompt_key))).scalars())
    assert [k.rsplit(":", 1)[0] for k in keys] == sorted(
        [f"prompt:{first['id']}", f"prompt:{second['id']}"])

    # A new production version of a prompt it includes also starts a new tree.
    await publish(client, author, "Tutor Protocol", "Always end with two questions.")
    dee = await learner(services, "dee@example.com")
    fake_anthropic.reply_text("Hello, with the new protocol.")
    _, events = await greet(client, dee, (await open_session(client, dee, item))["id"])
    assert "".join(chunks_of(events)) == "Hello, with the new protocol."
    assert fake_anthropic.last_request.system_text.endswith(
        "Always end with two questions.\nBe brief.")


async def test_without_a_production_version_the_built_in_prompt_is_used(
        client, services, fake_anthropic):
    item = await topic(services)
    async with services.db.transaction() as db:
        await db.execute(update(ContentType).where(ContentType.id == item.content_type_id)
                         .values(prompt_name="Not Written Yet"))
    ada = await learner(services)
    fake_anthropic.reply_text("Hi!")
    await greet(client, ada, (await open_session(client, ada, item))["id"])
    assert 'study "Recursion"' in fake_anthropic.last_request.system_text
    async with services.db.session() as db:
        assert list((await db.execute(select(ChatCacheNode.prompt_key))).scalars()) == [
            "default:v1"]
