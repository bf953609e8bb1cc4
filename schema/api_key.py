"""GraphQL for the viewer's API keys.

A malformed ApiKey id is BAD_USER_INPUT ``Invalid ApiKey id`` (``schema.user.global_uuid_id``);
a well-formed one that is not one of the viewer's keys is NOT_FOUND.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.auth.api_keys import preview
from models.user import ApiKey as ApiKeyModel
from resolvers import api_key as api_key_resolvers
from schema.user import global_uuid_id


@strawberry.type(description="A key a program uses as `Authorization: Bearer sk_...` "
                               "(or `gsk_...` for an organization's guest).")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Global ID of the key.")
    name: str = strawberry.field(description="What the key is for.")
    preview: str = strawberry.field(description="Prefix and last four characters.")
    scopes: list[str] = strawberry.field(description="What the key may do.")
    created_at: datetime = strawberry.field(description="When it was minted.")
    rate_limit: int = strawberry.field(description="Requests per minute it may make.")

    @classmethod
    def from_model(cls, key: ApiKeyModel) -> ApiKey:
        return cls(id=strawberry.ID(relay.to_base64("ApiKey", str(key.id))), name=key.name,
                   preview=preview(key.prefix, key.last4), scopes=list(key.scopes),
                   created_at=key.created_at, rate_limit=key.rate_limit)


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str
    scopes: list[str] | None = strawberry.field(
        default=None, description="What the key may do; omitted: workspaces:read, "
        "workspaces:write, ghl:read, ghl:write. org:* scopes need an organization admin.")


@strawberry.type(description="A new key; `secret` is shown this once and never again.")
class CreateApiKeyPayload:
    api_key: ApiKey
    secret: str


@strawberry.type(description="The outcome of revoking a key.")
class RevokeApiKeyPayload:
    ok: bool


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="Your API keys that are not revoked, newest first.")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.from_model(k) for k in await api_key_resolvers.get_all(info.context)]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(description="Mint an API key for your programs.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        created = await api_key_resolvers.create(info.context, name=input.name,
                                                 scopes=input.scopes)
        return CreateApiKeyPayload(api_key=ApiKey.from_model(created.key), secret=created.token)

    @strawberry.mutation(description="Revoke one of your API keys; it stops working at once.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyPayload:
        key_id = _key_id(id)
        await api_key_resolvers.revoke(info.context, key_id=key_id)
        return RevokeApiKeyPayload(ok=True)


def _key_id(global_id: str) -> uuid.UUID:
    return global_uuid_id(global_id, "ApiKey", field="id")
