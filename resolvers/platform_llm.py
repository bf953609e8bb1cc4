"""LLM access for the whole platform: AWS credentials for Anthropic models on Bedrock.

Only platform admins set, inspect or test them. The credentials are stored
once, encrypted with the server's secrets box (``platform_secrets`` row
``aws``); they leave the server only as a masked access key id. Which
provider the tutor uses (``anthropic`` or ``bedrock``) is configuration
(``LEARNGRAPH_LLM_PROVIDER``), not data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import httpx2
import orjson
from sqlalchemy.dialects.postgresql import insert

from core import llm
from core.auth import secrets_box
from core.auth.viewer import ROLE_PLATFORM_ADMIN
from core.config import Settings
from core.context import Context
from core.errors import NotConfigured, Validation
from core.llm import AwsCredentials
from models.prompts import PlatformSecret

AWS_KIND = "aws"
ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
NOT_CONFIGURED = "AWS credentials are not configured"
TUTOR_NOT_CONFIGURED = ("The AI tutor is not available yet: the platform's AWS credentials "
                        "are not configured. Please contact an administrator.")


@dataclass(frozen=True)
class TutorAccess:
    """What a tutor call is made with: an Anthropic key, or AWS credentials for Bedrock."""

    api_key: str | None = None
    aws: AwsCredentials | None = None


@dataclass(frozen=True)
class AwsStatus:
    configured: bool
    access_key_id: str | None
    has_session_token: bool
    updated_at: datetime | None
    region: str
    provider: str


@dataclass(frozen=True)
class ConnectionTest:
    success: bool
    message: str
    region: str
    model: str


def default_tutor_model(settings: Settings) -> str:
    """The tutor's model when a course names none: the configured provider's default."""
    return settings.bedrock_model if settings.llm_provider == "bedrock" else \
        settings.anthropic_model


async def tutor_access(ctx: Context, *, stored_key: bytes | None) -> TutorAccess:
    """How the tutor reaches the model under the configured provider.

    ``anthropic``: the user's own key (``stored_key``: its ciphertext as stored, read
    with the turn), else the deployment's (``NO_API_KEY`` with
    neither). ``bedrock``: the platform's AWS credentials (503 ``NOT_CONFIGURED``
    until an admin stores them).
    """
    if ctx.settings.llm_provider == "bedrock":
        credentials = await get_aws_credentials(ctx)
        if credentials is None:
            raise NotConfigured(TUTOR_NOT_CONFIGURED, status=503)
        return TutorAccess(aws=credentials)
    user_key = secrets_box.decrypt(ctx.settings.secret_key, stored_key) if stored_key else None
    return TutorAccess(api_key=ctx.llm.resolve_key(user_key))


def mask_access_key(access_key_id: str) -> str:
    """``AKIA...MPLE``: the first and last four characters."""
    return f"{access_key_id[:4]}...{access_key_id[-4:]}"


async def set_aws_credentials(ctx: Context, *, access_key_id: str, secret_access_key: str,
                              session_token: str | None = None) -> AwsStatus:
    """Store (replace) the platform's AWS credentials, encrypted (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    access_key_id, secret_access_key = access_key_id.strip(), secret_access_key.strip()
    if not ACCESS_KEY_ID.match(access_key_id):
        raise Validation("Invalid AWS access key id")
    if not secret_access_key or len(secret_access_key) > 256:
        raise Validation("Invalid AWS secret access key")
    payload = orjson.dumps({"access_key_id": access_key_id,
                            "secret_access_key": secret_access_key,
                            "session_token": (session_token or "").strip() or None}).decode()
    values = {"ciphertext": secrets_box.encrypt(ctx.settings.secret_key, payload),
              "preview": mask_access_key(access_key_id)}
    async with ctx.db.transaction() as session:
        await session.execute(insert(PlatformSecret).values(kind=AWS_KIND, **values)
                              .on_conflict_do_update(index_elements=["kind"], set_={
                                  **values, "updated_at": datetime.now().astimezone()}))
    return await get_aws_status(ctx)


async def get_aws_credentials(ctx: Context) -> AwsCredentials | None:
    """The decrypted credentials for server-side use, or None when unset or unreadable."""
    async with ctx.db.session() as session:
        row = await session.get(PlatformSecret, AWS_KIND)
    if row is None:
        return None
    plaintext = secrets_box.decrypt(ctx.settings.secret_key, row.ciphertext)
    if plaintext is None:
        return None
    data = orjson.loads(plaintext)
    return AwsCredentials(access_key_id=data["access_key_id"],
                          secret_access_key=data["secret_access_key"],
                          session_token=data.get("session_token"))


async def get_aws_status(ctx: Context) -> AwsStatus:
    """Whether credentials are stored, with the masked key id (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.session() as session:
        row = await session.get(PlatformSecret, AWS_KIND)
    credentials = await get_aws_credentials(ctx) if row else None
    return AwsStatus(configured=credentials is not None,
                     access_key_id=row.preview if row else None,
                     has_session_token=bool(credentials and credentials.session_token),
                     updated_at=row.updated_at if row else None,
                     region=ctx.settings.bedrock_region, provider=ctx.settings.llm_provider)


async def test_aws_connection(ctx: Context) -> ConnectionTest:
    """One minimal Bedrock call with the stored credentials (platform admins).

    A failed call is a result (``success`` false with the reason), not an error.
    """
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    credentials = await get_aws_credentials(ctx)
    if credentials is None:
        raise Validation(NOT_CONFIGURED, code="NOT_CONFIGURED")
    settings = ctx.settings
    await llm.sdk_imported()
    client = ctx.llm.bedrock(credentials).with_options(max_retries=0)

    def result(success: bool, message: str) -> ConnectionTest:
        return ConnectionTest(success=success, message=message,
                              region=settings.bedrock_region, model=settings.bedrock_model)

    try:
        await client.messages.create(
            model=settings.bedrock_model, max_tokens=1,
            messages=[{"role": "user", "content": "ping"}])
    except (llm.anthropic.AnthropicError, httpx2.HTTPError) as exc:
        status = llm.status_of(exc)
        if status in (401, 403):
            return result(False, f"AWS rejected these credentials (status {status})")
        if status is not None:
            return result(False, f"AWS Bedrock answered status {status}")
        return result(False, f"Unable to reach AWS Bedrock in {settings.bedrock_region}")
    return result(True, "Connected to AWS Bedrock")
