"""``{{variable}}`` filling, shared by the prompt preview (an unknown variable stays as
written) and the tutor's system prompt (an unknown variable becomes empty)."""

from __future__ import annotations

from sqlalchemy import update

from models.course import ContentType
from resolvers.prompt_resolution import substitute
from tests.fixtures import bearer_for, create_user
from tests.twosigma.chat_helpers import API, greet, learner, open_session, topic

TEXT = "{{ title }} for {{who}}: {{missing}} {{title}} {{flags}}"
VALUES = {"title": "Math", "who": 3, "flags": {"b": True, "a": None}, "spare": "x"}


def test_unknown_variables_stay_by_default():
    assert substitute(TEXT, VALUES) == (
        'Math for 3: {{missing}} Math {"a": null, "b": true}', ["title", "who", "flags"])


def test_unknown_variables_can_be_emptied():
    assert substitute(TEXT, VALUES, unknown="empty") == (
        'Math for 3:  Math {"a": null, "b": true}', ["title", "who", "flags"])


def test_text_without_variables_is_unchanged():
    assert substitute("{{ 1bad }} {single} }}", VALUES, unknown="empty") == (
        "{{ 1bad }} {single} }}", [])


async def test_preview_keeps_unknown_variables_and_writes_values_as_json(client, services):
    teacher = await create_user(services, email="t@example.com", roles=["INSTRUCTOR"])
    response = await client.post(f"{API}/prompts/preview", headers=await bearer_for(
        services, teacher), json={"prompt_text": TEXT, "variables": VALUES})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rendered_prompt": 'Math for 3: {{missing}} Math {"a": null, "b": true}',
        "variables_used": ["title", "who", "flags"], "dependencies_found": []}


async def test_the_tutor_prompt_drops_unknown_variables(client, services, fake_anthropic):
    author = await learner(services, "author@example.com", roles=["PLATFORM_ADMIN"])
    published = await client.post(f"{API}/prompts/", headers=author.headers, json={
        "name": "Lab Tutor", "labels": ["production"],
        "prompt": "Tutor {{title}} ({{minutes}} min){{nowhere}}.\n{{details}}"})
    assert published.status_code == 201, published.text
    item = await topic(services, data={"minutes": 20, "lang": "python"})
    async with services.db.transaction() as db:
        await db.execute(update(ContentType).where(ContentType.id == item.content_type_id)
                         .values(prompt_name="Lab Tutor"))
    ada = await learner(services)
    fake_anthropic.reply_text("Hi!")
    await greet(client, ada, (await open_session(client, ada, item))["id"])
    assert fake_anthropic.last_request.system_text == (
        "Tutor Recursion (20 min).\nlang: python\nminutes: 20")
