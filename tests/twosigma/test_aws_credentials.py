"""2Sigma /api/v1/admin/aws-credentials: storage (encrypted), status, and a Bedrock test call.

The test call goes through the anthropic SDK's real Bedrock client (SigV4
signing with the stored credentials) to the local fake of Bedrock's
``POST /model/{model}/invoke`` (tests/fakes/anthropic_server.py); AWS itself
is never reached. What is checked:
the request path, region and access key in the signature, the session token
header, the answer mapping for success, 403 and an unreachable endpoint.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.auth import secrets_box
from models.prompts import PlatformSecret
from tests.fixtures import (
    TEST_SECRET,
    bearer_for,
    create_user,
    error_codes,
    free_socket,
    gql,
    gql_raw,
    start_instance,
)

BASE = "/api/v1/admin/aws-credentials"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
CREDS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
         "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "aws_session_token": "optional"}
STATUS = """query { awsCredentialsStatus { configured accessKeyId hasSessionToken region } }"""
SET = """
mutation Set($input: SetAwsCredentialsInput!) {
  setAwsCredentials(input: $input) { status { configured accessKeyId } }
}"""
TEST = """mutation { testAwsConnection { success message region } }"""


async def _headers(services):
    admin = await create_user(services, email="adm@example.com", roles=["PLATFORM_ADMIN"])
    teacher = await create_user(services, email="tea@example.com", roles=["INSTRUCTOR"])
    return await bearer_for(services, admin), await bearer_for(services, teacher)


async def test_store_status_and_encryption(client, services):
    admin_h, _ = await _headers(services)
    empty = await client.get(f"{BASE}/status", headers=admin_h)
    assert empty.status_code == 200
    assert empty.json() == {"configured": False, "access_key_id": None,
                            "has_session_token": False, "region": "us-east-1",
                            "provider": "anthropic", "updated_at": None}
    saved = await client.post(BASE, json=CREDS, headers=admin_h)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert ISO_Z.match(body.pop("updated_at"))
    assert body == {"configured": True, "access_key_id": "AKIA...MPLE",
                    "has_session_token": True, "region": "us-east-1", "provider": "anthropic"}
    status = await client.get(f"{BASE}/status", headers=admin_h)
    assert status.json()["access_key_id"] == "AKIA...MPLE"
    assert CREDS["aws_secret_access_key"] not in status.text

    async with services.db.session() as session:
        row = (await session.execute(select(PlatformSecret))).scalar_one()
    assert row.kind == "aws"
    assert b"EXAMPLEKEY" not in row.ciphertext and b"AKIA" not in row.ciphertext
    assert "EXAMPLEKEY" in secrets_box.decrypt(TEST_SECRET, row.ciphertext)

    # Replacing them without a session token clears it.
    again = await client.post(BASE, json={**CREDS, "aws_session_token": None,
                                          "aws_access_key_id": "AKIAZZZZZZZZZZZZ1234"},
                              headers=admin_h)
    assert again.json()["access_key_id"] == "AKIA...1234"
    assert again.json()["has_session_token"] is False

    data = await gql(client, STATUS, headers=admin_h)
    assert data["awsCredentialsStatus"] == {"configured": True, "accessKeyId": "AKIA...1234",
                                            "hasSessionToken": False, "region": "us-east-1"}
    data = await gql(client, SET, {"input": {"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                                             "secretAccessKey": "s3cret"}}, headers=admin_h)
    assert data["setAwsCredentials"]["status"] == {"configured": True,
                                                   "accessKeyId": "AKIA...MPLE"}


async def test_permissions_and_validation(client, services):
    admin_h, teacher_h = await _headers(services)
    assert (await client.get(f"{BASE}/status")).status_code == 401
    assert (await client.post(BASE, json=CREDS)).status_code == 401
    assert (await client.post(f"{BASE}/test")).status_code == 401
    for method, path in [("GET", "/status"), ("POST", ""), ("POST", "/test")]:
        response = await client.request(method, BASE + path, json=CREDS, headers=teacher_h)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "You do not have permission to do this"}
    assert error_codes(await gql_raw(client, STATUS, headers=teacher_h)) == ["FORBIDDEN"]
    missing = await client.post(BASE, json={"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE"},
                                headers=admin_h)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "aws_secret_access_key"]
    bad_key = await client.post(BASE, json={**CREDS, "aws_access_key_id": "not a key"},
                                headers=admin_h)
    assert bad_key.status_code == 400
    assert bad_key.json() == {"detail": "Invalid AWS access key id"}
    blank = await client.post(BASE, json={**CREDS, "aws_secret_access_key": " "},
                              headers=admin_h)
    assert blank.status_code == 400
    assert blank.json() == {"detail": "Invalid AWS secret access key"}
    unset = await client.post(f"{BASE}/test", headers=admin_h)
    assert unset.status_code == 400
    assert unset.json() == {"detail": "AWS credentials are not configured"}


@pytest.fixture
async def bedrock_app(database_url, client, fake_anthropic):
    app = await start_instance(database_url, llm_provider="bedrock",
                               bedrock_region="eu-west-1", bedrock_model="anthropic.test-v1:0",
                               bedrock_base_url=fake_anthropic.base_url)
    yield fake_anthropic, app
    await app.stop()


async def test_connection_through_the_bedrock_client(bedrock_app, services, new_client):
    fake, app = bedrock_app
    admin_h, _ = await _headers(services)
    http = new_client()
    http.base_url = app.base_url
    await http.post(BASE, json=CREDS, headers=admin_h)
    status = (await http.get(f"{BASE}/status", headers=admin_h)).json()
    assert status["provider"] == "bedrock" and status["region"] == "eu-west-1"

    ok = await http.post(f"{BASE}/test", headers=admin_h)
    assert ok.status_code == 200
    assert ok.json() == {"success": True, "message": "Connected to AWS Bedrock",
                         "region": "eu-west-1", "model": "anthropic.test-v1:0"}
    request = fake.last_request
    assert request.path == "/model/anthropic.test-v1:0/invoke"
    signature = request.headers["authorization"]
    assert signature.startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")
    assert "/eu-west-1/bedrock/aws4_request" in signature
    assert request.headers["x-amz-security-token"] == "optional"
    assert request.body["max_tokens"] == 1

    fake.valid_aws_keys = {"AKIAOTHEROTHEROTHER"}
    rejected = await http.post(f"{BASE}/test", headers=admin_h)
    assert rejected.status_code == 200
    assert rejected.json()["success"] is False
    assert rejected.json()["message"] == "AWS rejected these credentials (status 403)"
    data = await gql(http, TEST, headers=admin_h)
    assert data["testAwsConnection"] == {
        "success": False, "message": "AWS rejected these credentials (status 403)",
        "region": "eu-west-1"}
    fake.valid_aws_keys = None
    fake.reply_error(429, retry_after=30)
    throttled = await http.post(f"{BASE}/test", headers=admin_h)
    assert throttled.status_code == 200
    assert throttled.json()["message"] == "AWS Bedrock answered status 429"
    assert len(fake.recorded_bedrock()) == 4


async def test_unreachable_bedrock_is_a_clear_failure(database_url, client, services,
                                                      new_client):
    closed = free_socket()
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    app = await start_instance(database_url, llm_provider="bedrock", bedrock_base_url=url)
    try:
        admin_h, _ = await _headers(services)
        http = new_client()
        http.base_url = app.base_url
        await http.post(BASE, json=CREDS, headers=admin_h)
        response = await http.post(f"{BASE}/test", headers=admin_h)
        assert response.status_code == 200
        assert response.json() == {"success": False,
                                   "message": "Unable to reach AWS Bedrock in us-east-1",
                                   "region": "us-east-1",
                                   "model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    finally:
        await app.stop()
