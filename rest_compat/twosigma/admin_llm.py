"""The course platform's /api/v1/admin/aws-credentials endpoints (LLM access on Bedrock).

Choices where the reference is silent (what its FastAPI backend does):
- "admin" means PLATFORM_ADMIN: instructors and students get 403.
- ``POST /admin/aws-credentials`` stores (replaces) the credentials
  encrypted and answers 200 with the status below. An access key id that is
  not 16–128 upper-case letters and digits, or an empty secret, is 400;
  missing fields are 422.
- ``GET /admin/aws-credentials/status`` answers ``{"configured": bool,
  "access_key_id": "AKIA...MPLE" | null, "has_session_token": bool,
  "region": "us-east-1", "provider": "anthropic" | "bedrock",
  "updated_at": ISO | null}``. The secret and session token never leave the
  server.
- ``POST /admin/aws-credentials/test`` makes one minimal Messages call
  (``max_tokens`` 1) through the anthropic SDK's Bedrock client and answers
  200 ``{"success": bool, "message": str, "region": str, "model": str}``; a
  failed call is ``success: false`` with the reason (rejected credentials,
  another status, or "Unable to reach AWS Bedrock in <region>"). Without
  stored credentials it is 400 ``{"detail": "AWS credentials are not
  configured"}``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from resolvers import platform_llm
from resolvers.platform_llm import AwsStatus
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.returns import BOOLEAN, STRING, fields_of, nullable, obj
from rest_compat.twosigma.shapes import Body


class AwsCredentialsBody(Body):
    aws_access_key_id: str
    aws_secret_access_key: str
    aws_session_token: str | None = None


AWS_STATUS = fields_of(AwsStatus, updated_at=nullable(STRING))


def render_status(status: AwsStatus) -> dict[str, Any]:
    return {"configured": status.configured, "access_key_id": status.access_key_id,
            "has_session_token": status.has_session_token, "region": status.region,
            "provider": status.provider, "updated_at": iso(status.updated_at)}


async def set_credentials(req: FaceRequest) -> Response:
    body: AwsCredentialsBody = req.body
    status = await platform_llm.set_aws_credentials(
        req.ctx, access_key_id=body.aws_access_key_id,
        secret_access_key=body.aws_secret_access_key, session_token=body.aws_session_token)
    return JSONResponse(render_status(status))


async def credentials_status(req: FaceRequest) -> Response:
    return JSONResponse(render_status(await platform_llm.get_aws_status(req.ctx)))


async def test_connection(req: FaceRequest) -> Response:
    result = await platform_llm.test_aws_connection(req.ctx)
    return JSONResponse({"success": result.success, "message": result.message,
                         "region": result.region, "model": result.model})


ROUTES: list[Route] = [
    Route("POST", "/admin/aws-credentials", set_credentials, auth=True,
          body=AwsCredentialsBody, summary="Store the platform's AWS credentials (encrypted)",
          tag="admin",
          returns={200: AWS_STATUS}),
    Route("GET", "/admin/aws-credentials/status", credentials_status, auth=True,
          summary="Whether AWS credentials are stored", tag="admin",
          returns={200: AWS_STATUS}),
    Route("POST", "/admin/aws-credentials/test", test_connection, auth=True,
          summary="Test the AWS Bedrock connection", tag="admin",
          returns={200: obj(success=BOOLEAN, message=STRING, region=STRING, model=STRING)}),
]
