"""GraphQL types for users and the viewer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from models.user import User as UserModel
from resolvers import auth as auth_resolvers
from resolvers import user as user_resolvers


@strawberry.enum(description="What kind of principal the viewer is.")
class ViewerKind(Enum):
    ANONYMOUS = "anonymous"
    USER = "user"
    API_KEY = "api_key"


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None


@strawberry.type(description="A person with an account, whichever platform they came from.")
class User(relay.Node):
    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="Name shown to other people.")
    avatar_url: str = strawberry.field(description="Avatar image URL; empty when none.")
    roles: list[str] = strawberry.field(description="Platform roles, e.g. PLATFORM_ADMIN.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    _model: strawberry.Private[UserModel]

    @classmethod
    def from_model(cls, model: UserModel) -> User:
        return cls(id=str(model.id), display_name=model.display_name,
                   avatar_url=model.avatar_url, roles=list(model.roles),
                   created_at=model.created_at, _model=model)

    @strawberry.field(description="Email address; visible to the user themself and to admins.")
    def email(self, info: Info) -> str | None:
        if user_resolvers.can_see_private(info.context, self._model.id):
            return self._model.email
        return None

    @strawberry.field(description="Whether the account has signed in with GitHub.")
    def has_github(self) -> bool:
        return self._model.github_id is not None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[User | None]:
        users = await user_resolvers.get_many(
            info.context, user_ids=[parse_uuid(node_id) for node_id in node_ids])
        return [cls.from_model(u) if u else None for u in users]


@strawberry.type(description="Who is asking: the signed-in user, an API key, or nobody.")
class Viewer:
    kind: ViewerKind = strawberry.field(description="Anonymous, a user, or an API key.")
    scopes: list[str] = strawberry.field(description="Scopes of the API key, if one is used.")
    _user: strawberry.Private[UserModel | None]

    @strawberry.field(description="Global ID of the viewer's user; null when anonymous.")
    def id(self) -> strawberry.ID | None:
        if self._user is None:
            return None
        return strawberry.ID(relay.to_base64(User, str(self._user.id)))

    @strawberry.field(description="True when any credential was accepted.")
    def is_authenticated(self) -> bool:
        return self.kind != ViewerKind.ANONYMOUS

    @strawberry.field(description="The viewer's user account.")
    def user(self) -> User | None:
        return User.from_model(self._user) if self._user else None

    @strawberry.field(description="Roles of the viewer's user.")
    def roles(self) -> list[str]:
        return list(self._user.roles) if self._user else []

    @strawberry.field(description="Whether the viewer has stored an Anthropic API key.")
    async def has_anthropic_key(self, info: Info) -> bool:
        if self._user is None:
            return False
        return await auth_resolvers.has_anthropic_key(info.context, user_id=self._user.id)


def viewer_from_context(info: Info) -> Viewer:
    viewer = info.context.viewer
    return Viewer(kind=ViewerKind(viewer.kind), scopes=sorted(viewer.scopes), _user=viewer.user)


@strawberry.type(description="A page of users.")
class UserConnection(relay.Connection[User]):
    pass


@strawberry.type
class UserQuery:
    @strawberry.field(description="Who is asking.")
    def viewer(self, info: Info) -> Viewer:
        return viewer_from_context(info)

    @strawberry.field(description="All accounts in sign-up order (platform admins only).")
    async def users(self, info: Info, first: int | None = None, after: str | None = None,
                    last: int | None = None, before: str | None = None) -> UserConnection:
        page = await user_resolvers.get_all(info.context, first=first, after=after, last=last,
                                            before=before)
        edges = [relay.Edge(node=User.from_model(u), cursor=c)
                 for u, c in zip(page.users, page.cursors, strict=True)]
        return UserConnection(edges=edges, page_info=relay.PageInfo(
            has_next_page=page.has_next, has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None))


@strawberry.type(description="The viewer's user after a profile change.")
class UserPayload:
    user: User


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="Upload a new avatar (PNG, JPEG, GIF or WebP, at most "
                                     "2 MiB) as a multipart request.")
    async def upload_avatar(self, info: Info, file: Upload) -> UserPayload:
        data = await file.read()
        user = await user_resolvers.set_avatar(info.context, data=data)
        return UserPayload(user=User.from_model(user))
