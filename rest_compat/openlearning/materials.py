"""OpenLearning's generated study materials.

Choices where the reference is silent: the owner only (401, 403 ``Not your
session``); a session that is not complete yet, or whose materials are still
being written, answers 200 with the materials done so far (possibly none).
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import materials
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.openlearning.assessment import OWNER, session_id_of


async def get_materials(req: FaceRequest) -> Response:
    session_id = session_id_of(req)
    found = await materials.for_session(req.ctx, session_id=session_id)
    return JSONResponse({"sessionId": str(session_id), "materials": [{
        "conceptId": m.concept_id, "domain": m.domain, "bloomScore": m.bloom_score,
        "qualityScore": m.quality_score, "iterationCount": m.iteration_count,
        "qualityFlag": m.quality_flag, "material": m.material,
        "generatedAt": iso(m.generated_at),
    } for m in found]})


ROUTES = [
    Route("GET", "/materials/{session_id}", get_materials, auth=True, tag="materials",
          summary="Study materials generated for a completed assessment (empty while running)",
          responses={200: "MaterialsResponse", **OWNER}),
]
