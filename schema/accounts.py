"""GraphQL for the reading platform's account center: the same resolvers, rules and limits
as ``/api/auth`` (``rest_compat/pickatale/account_center.py``). Signing in answers the
account and sets the ``uc_session`` cookie on the response, as the REST routes do.
``registerAccount`` honours an idempotency key (its ``idempotencyKey`` argument or the
request's ``Idempotency-Key`` header, ``schema/idempotency.py``): a retry after an unknown
outcome gets the first answer instead of ``email_taken``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.auth.cookies import set_cookie
from core.auth.viewer import READING_COOKIE
from resolvers import accounts
from resolvers.auth import CookieSession
from schema.idempotency import ARGUMENT_DESCRIPTION, idempotent
from schema.user import user_global_id


@strawberry.enum(description="A role one may register with on the reading platform.")
class AccountRole(Enum):
    TEACHER = strawberry.enum_value("teacher", description="A teacher running classes.")
    PARENT = strawberry.enum_value("parent", description="A parent of readers.")
    SCHOOL_ADMIN = strawberry.enum_value("school_admin",
                                         description="A school's administrator.")


@strawberry.enum(description="What a signed-in account is on the reading platform.")
class AccountSessionRole(Enum):
    CHILD = strawberry.enum_value("child", description="A reader signed in with a PIN.")
    TEACHER = strawberry.enum_value("teacher", description="A teacher running classes.")
    PARENT = strawberry.enum_value("parent", description="A parent of readers.")
    ADMIN = strawberry.enum_value(
        "admin", description="A school's administrator, or the platform's.")


@strawberry.enum(description="Where a registered account stands.")
class RegistrationState(Enum):
    PENDING_VERIFICATION = strawberry.enum_value(
        "pending_verification", description="Its email is not verified yet: it cannot sign in.")


@strawberry.type(description="The signed-in account, as the account center reports it.")
class AccountSession:
    user_id: relay.GlobalID = strawberry.field(
        description="The account's global ID (a `User` for `node`).")
    role: AccountSessionRole = strawberry.field(description="What the account is.")
    name: str = strawberry.field(description="The account's name.")
    email: str | None = strawberry.field(description="Its email (none for children).")
    school_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The global ID of the school the account is on the staff "
                                  "of, or a child's class is of, if any (`School.id`).")

    @classmethod
    def from_result(cls, current: accounts.AccountSession) -> AccountSession:
        return cls(user_id=user_global_id(current.user_id),
                   role=AccountSessionRole(current.role),
                   name=current.name, email=current.email,
                   school_id=None if current.school_id is None
                   else relay.GlobalID("School", str(current.school_id)))


@strawberry.input(description="A teacher, parent or school admin registering.")
class RegisterAccountInput:
    name: str = strawberry.field(description="Their name, 1–200 characters.")
    email: str = strawberry.field(description="Their email; the verification link goes there.")
    password: str = strawberry.field(
        description="8–128 characters with a letter and a digit, not the email.")
    role: AccountRole = strawberry.field(description="What they are.")
    school_name: str | None = strawberry.field(default=None,
                                               description="Their school, if any.")


@strawberry.type(description="An account registered, waiting for its email to be verified.")
class RegisterAccountPayload:
    user_id: relay.GlobalID = strawberry.field(
        description="The new account's global ID (a `User` for `node`).")
    state: RegistrationState = strawberry.field(description="Always PENDING_VERIFICATION.")


@strawberry.type(description="An account signed in; the uc_session cookie is set.")
class AccountSignInPayload:
    session: AccountSession = strawberry.field(description="Who signed in.")
    expires_at: str = strawberry.field(description="When the session ends (ISO 8601).")


@strawberry.type(description="Done (the same answer whether or not the address has an "
                             "account).")
class AccountOkPayload:
    ok: bool = strawberry.field(description="Always true.")


def _signed_in(info: Info, session: CookieSession) -> AccountSignInPayload:
    ctx = info.context
    if ctx.response is not None and ctx.request is not None:
        set_cookie(ctx.response, ctx.settings, ctx.request, name=READING_COOKIE,
                   value=session.token, max_age=session.max_age)
    user = ctx.viewer.user
    return AccountSignInPayload(
        session=AccountSession(user_id=user_global_id(user.id),
                               role=AccountSessionRole(accounts.role_of(user) or "child"),
                               name=user.display_name, email=user.email),
        expires_at=session.expires_at.isoformat().replace("+00:00", "Z"))


def _arg(description: str):
    return strawberry.argument(description=description)


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account of the reading platform "
                                  "(GET /api/auth/session).")
    async def account_session(self, info: Info) -> AccountSession:
        return AccountSession.from_result(await accounts.current_session(info.context))


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Register a teacher, parent or school admin; a "
                                     "verification link is mailed.")
    async def register_account(
            self, info: Info, input: Annotated[RegisterAccountInput, _arg("Who registers.")],
            idempotency_key: Annotated[str | None, _arg(ARGUMENT_DESCRIPTION)] = None,
    ) -> RegisterAccountPayload:
        async def run() -> RegisterAccountPayload:
            user = await accounts.register(info.context, name=input.name, email=input.email,
                                           password=input.password, role=input.role.value,
                                           school_name=input.school_name)
            return RegisterAccountPayload(user_id=user_global_id(user.id),
                                          state=RegistrationState.PENDING_VERIFICATION)

        return await idempotent(info, key=idempotency_key, arguments=input, run=run,
                                payload=RegisterAccountPayload)

    @strawberry.mutation(description="Confirm an email with its mailed token and sign in.")
    async def verify_account_email(self, info: Info, token: Annotated[
            str, _arg("The token from the mailed link.")]) -> AccountSignInPayload:
        return _signed_in(info, await accounts.verify_email(info.context, token=token))

    @strawberry.mutation(description="Mail a new verification link (3 an hour per email).")
    async def resend_account_verification(self, info: Info, email: Annotated[
            str, _arg("The address registered.")]) -> AccountOkPayload:
        await accounts.resend_verification(info.context, email=email)
        return AccountOkPayload(ok=True)

    @strawberry.mutation(description="Mail a password reset link.")
    async def forgot_account_password(self, info: Info, email: Annotated[
            str, _arg("The account's address.")]) -> AccountOkPayload:
        await accounts.forgot_password(info.context, email=email)
        return AccountOkPayload(ok=True)

    @strawberry.mutation(description="Set a new password with a mailed reset token; every "
                                     "session of the account ends.")
    async def reset_account_password(
            self, info: Info, token: Annotated[str, _arg("The token from the mailed link.")],
            password: Annotated[str, _arg("The new password.")]) -> AccountOkPayload:
        await accounts.reset_password(info.context, token=token, password=password)
        return AccountOkPayload(ok=True)

    @strawberry.mutation(description="Sign an adult in with email and password.")
    async def account_login(
            self, info: Info, email: Annotated[str, _arg("The account's email.")],
            password: Annotated[str, _arg("Its password.")]) -> AccountSignInPayload:
        return _signed_in(info, await accounts.login(info.context, email=email,
                                                     password=password))

    @strawberry.mutation(description="Sign a child in with username and PIN.")
    async def child_login(
            self, info: Info, username: Annotated[str, _arg("The child's username.")],
            pin: Annotated[str, _arg("The child's PIN.")]) -> AccountSignInPayload:
        return _signed_in(info, await accounts.child_login(info.context, username=username,
                                                           pin=pin))
