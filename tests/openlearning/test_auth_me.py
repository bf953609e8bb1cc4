"""GET /api/auth/me: the signed-in user's profile, byte for byte as the face renders it."""

from __future__ import annotations

from models.user import User

USER_KEY = "sk-ant-me-key-4242"


async def test_me_renders_the_user_and_whether_a_key_is_stored(ol_client, user: User):
    response = await ol_client.get("/api/auth/me")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = (f'{{"userId":"{user.id}","displayName":"{user.display_name}","avatarUrl":"",'
                '"hasApiKey":false,"email":"ada@example.com"}')
    assert response.content == expected.encode()

    assert (await ol_client.post("/api/auth/api-key", json={"apiKey": USER_KEY})).status_code \
        == 200
    response = await ol_client.get("/api/auth/me")
    assert response.content == expected.replace('"hasApiKey":false',
                                                '"hasApiKey":true').encode()


async def test_me_without_a_session_is_401(client, new_client):
    for http in (client, new_client()):
        response = await http.get("/api/auth/me")
        assert (response.status_code, response.content) == (401,
                                                             b'{"detail":"Not authenticated"}')
    response = await new_client().get("/api/auth/me", headers={"Cookie": "access_token=x.y.z"})
    assert response.status_code == 401, response.text
