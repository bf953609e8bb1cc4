"""GraphQL for the platform's LLM access: AWS credentials for Anthropic models on Bedrock."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import platform_llm


@strawberry.type(description="The platform's AWS credentials for Anthropic models on Bedrock.")
class AwsCredentialsStatus:
    configured: bool = strawberry.field(description="Whether usable credentials are stored.")
    access_key_id: str | None = strawberry.field(description="The masked access key id.")
    has_session_token: bool = strawberry.field(description="Whether a session token is set.")
    region: str = strawberry.field(description="The Bedrock region in use.")
    provider: str = strawberry.field(description="The configured LLM provider.")
    updated_at: datetime | None = strawberry.field(description="When they were last set.")

    @classmethod
    def from_row(cls, status: platform_llm.AwsStatus) -> AwsCredentialsStatus:
        return cls(configured=status.configured, access_key_id=status.access_key_id,
                   has_session_token=status.has_session_token, region=status.region,
                   provider=status.provider, updated_at=status.updated_at)


@strawberry.type(description="The outcome of a minimal Bedrock call.")
class AwsConnectionTest:
    success: bool = strawberry.field(description="Whether the call succeeded.")
    message: str = strawberry.field(description="What happened.")
    region: str = strawberry.field(description="The region called.")
    model: str = strawberry.field(description="The model called.")


@strawberry.input(description="AWS credentials for Bedrock.")
class SetAwsCredentialsInput:
    access_key_id: str = strawberry.field(description="The access key id.")
    secret_access_key: str = strawberry.field(description="The secret access key.")
    session_token: str | None = strawberry.field(default=None,
                                                 description="An optional session token.")


@strawberry.type(description="The stored credentials' status after a change.")
class AwsCredentialsPayload:
    status: AwsCredentialsStatus = strawberry.field(description="The status.")


@strawberry.type
class PlatformLlmQuery:
    @strawberry.field(description="Whether AWS credentials are stored (platform admins).")
    async def aws_credentials_status(self, info: Info) -> AwsCredentialsStatus:
        return AwsCredentialsStatus.from_row(await platform_llm.get_aws_status(info.context))


@strawberry.type
class PlatformLlmMutation:
    @strawberry.mutation(description="Store the platform's AWS credentials, encrypted "
                                     "(platform admins).")
    async def set_aws_credentials(self, info: Info,
                                  input: SetAwsCredentialsInput) -> AwsCredentialsPayload:
        status = await platform_llm.set_aws_credentials(
            info.context, access_key_id=input.access_key_id,
            secret_access_key=input.secret_access_key, session_token=input.session_token)
        return AwsCredentialsPayload(status=AwsCredentialsStatus.from_row(status))

    @strawberry.mutation(description="Make one minimal Bedrock call with the stored "
                                     "credentials (platform admins).")
    async def test_aws_connection(self, info: Info) -> AwsConnectionTest:
        result = await platform_llm.test_aws_connection(info.context)
        return AwsConnectionTest(success=result.success, message=result.message,
                                 region=result.region, model=result.model)
