"""GraphQL mutations and subscriptions for sign-in and the viewer's account."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from core.auth.cookies import clear_cookie, set_cookie
from core.auth.viewer import ACCESS_COOKIE
from resolvers import auth
from schema.pages import parse_int_id
from schema.user import Grade, LearningGoal, StudyLevel, User


@strawberry.input(description="Onboarding answers given at sign-up; each one optional.")
class OnboardingProfileInput:
    date_of_birth: date | None = None
    learning_goal: LearningGoal | None = None
    study_level: StudyLevel | None = None
    grade: Grade | None = None


@strawberry.input(description="Email and password for a new account, with optional settings "
                              "and onboarding answers.")
class RegisterInput:
    email: str
    password: str = strawberry.field(description="8 to 128 characters.")
    display_name: str | None = strawberry.field(default=None,
                                                description="Full name shown to others.")
    locale: str | None = strawberry.field(default=None, description="Language tag, e.g. `en`.")
    time_zone: str | None = strawberry.field(
        default=None, description="IANA time zone, e.g. `Europe/Paris`; streaks count days "
                                  "in it.")
    profile: OnboardingProfileInput | None = None
    subject_preferences: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Global IDs (or integer ids) of preferred subjects.")


@strawberry.input(description="Email and password of an existing account.")
class LoginInput:
    email: str
    password: str


@strawberry.input(description="A refresh token to rotate.")
class RefreshTokenInput:
    refresh_token: str


@strawberry.input(description="An Anthropic API key.")
class AnthropicKeyInput:
    api_key: str


@strawberry.type(description="A signed-in session: the user and its tokens.")
class AuthPayload:
    user: User
    access_token: str = strawberry.field(description="Short-lived Bearer token.")
    access_token_expires_at: datetime
    refresh_token: str = strawberry.field(description="Single-use token for `refreshToken`.")
    refresh_token_expires_at: datetime


@strawberry.type(description="The outcome of an action with nothing else to return.")
class OkPayload:
    ok: bool


@strawberry.type(description="The stored Anthropic key, masked.")
class AnthropicKeyPayload:
    preview: str | None = strawberry.field(description="e.g. `sk-...ab12`; null when none.")


@strawberry.type(description="Whether an Anthropic key works.")
class ValidateKeyPayload:
    valid: bool
    error: str | None




@strawberry.enum(description="What happened to the viewer's account.")
class ViewerEventKind(Enum):
    ANTHROPIC_KEY_SET = strawberry.enum_value(
        "ANTHROPIC_KEY_SET", description="An Anthropic API key was stored (`preview` masks it).")
    ANTHROPIC_KEY_DELETED = strawberry.enum_value(
        "ANTHROPIC_KEY_DELETED", description="The stored Anthropic API key was removed.")


@strawberry.type(description="An event about the viewer's own account, from any instance.")
class ViewerEvent:
    kind: ViewerEventKind = strawberry.field(description="What happened.")
    preview: str | None = strawberry.field(
        description="The stored key, masked (`sk-...ab12`); null when it was removed.")


def _payload(info: Info, sign_in: auth.SignIn) -> AuthPayload:
    # Browsers (GraphiQL) get the session as a cookie too; API clients use the tokens.
    token, max_age = auth.session_cookie_token(info.context, sign_in)
    if info.context.response is not None and info.context.request is not None:
        set_cookie(info.context.response, info.context.settings, info.context.request,
                   name=ACCESS_COOKIE, value=token, max_age=max_age)
    return AuthPayload(user=User.from_model(sign_in.user), access_token=sign_in.access_token,
                       access_token_expires_at=sign_in.access_expires_at,
                       refresh_token=sign_in.refresh_token,
                       refresh_token_expires_at=sign_in.refresh_expires_at)


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Create an account with email and password and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        profile = None
        if input.profile is not None:
            p = input.profile
            profile = auth.OnboardingProfile(
                date_of_birth=p.date_of_birth,
                learning_goal=p.learning_goal.value if p.learning_goal else None,
                study_level=p.study_level.value if p.study_level else None,
                grade=p.grade.value if p.grade else None)
        subject_ids = [parse_int_id(i, "Subject", field="subjectPreferences")
                       for i in input.subject_preferences or []]
        return _payload(info, await auth.register(
            info.context, email=input.email, password=input.password,
            display_name=input.display_name, locale=input.locale, time_zone=input.time_zone,
            profile=profile, subject_ids=subject_ids))

    @strawberry.mutation(description="Sign in with email and password.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        return _payload(info, await auth.login(info.context, email=input.email,
                                               password=input.password))

    @strawberry.mutation(description="Rotate a refresh token; a reused token ends the session.")
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> AuthPayload:
        return _payload(info, await auth.refresh(info.context, refresh_token=input.refresh_token))

    @strawberry.mutation(description="End the current session; its tokens stop working.")
    async def logout(self, info: Info) -> OkPayload:
        await auth.logout(info.context)
        if info.context.response is not None and info.context.request is not None:
            clear_cookie(info.context.response, info.context.settings, info.context.request,
                         name=ACCESS_COOKIE)
        return OkPayload(ok=True)

    @strawberry.mutation(description="Store your Anthropic API key, encrypted at rest.")
    async def set_anthropic_key(self, info: Info, input: AnthropicKeyInput) -> AnthropicKeyPayload:
        return AnthropicKeyPayload(
            preview=await auth.set_anthropic_key(info.context, api_key=input.api_key))

    @strawberry.mutation(description="Remove your stored Anthropic API key (idempotent).")
    async def delete_anthropic_key(self, info: Info) -> AnthropicKeyPayload:
        await auth.delete_anthropic_key(info.context)
        return AnthropicKeyPayload(preview=None)

    @strawberry.mutation(description="Check an Anthropic API key with the AI service; not stored.")
    async def validate_anthropic_key(self, info: Info,
                                     input: AnthropicKeyInput) -> ValidateKeyPayload:
        valid, error = await auth.validate_anthropic_key(info.context, api_key=input.api_key)
        return ValidateKeyPayload(valid=valid, error=error)


@strawberry.type
class AuthSubscription:
    @strawberry.subscription(description="Events about your own account, from every instance.")
    async def viewer_events(self, info: Info) -> AsyncGenerator[ViewerEvent, None]:
        async for event in auth.viewer_events(info.context):
            yield ViewerEvent(kind=ViewerEventKind(event["kind"]), preview=event.get("preview"))
