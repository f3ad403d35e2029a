"""One model call of an agent run in the workflow, as its activity sees it (no SDK imports).

The Temporal integration's model activity (:data:`MODEL_ACTIVITY`) gets the conversation,
the tools and a model name — not the work item. The attempt recorder finds the item from the
activity's workflow id (:func:`workflow_item_id`), opens a :class:`Turn` for the call in
:data:`TURN`; the model (:mod:`myloware.agents.durable`) checks the item's token budget and
puts what the call cost on the turn, which the recorder writes as the call's attempt row.
The model name carries the chain the item's template asks for (:func:`chain_name`).
"""

from __future__ import annotations

import json
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ValidationError

from myloware.contracts import ItemRef
from myloware.models.base import Usage
from myloware.pipeline_template import ExtractorStage

#: the activity name the integration registers its model call under (stored in histories)
MODEL_ACTIVITY = "invoke_model_activity"
ITEM_PREFIX, ORDER_PREFIX = "work-item-", "work-order-"


def chain_name(stage: ExtractorStage) -> str:
    """The template's chain as a model name: ``{"providers": [...], "model": ...}``."""
    return json.dumps({"providers": stage.providers, "model": stage.model}, sort_keys=True)


def stage_of(model_name: str | None) -> ExtractorStage:
    """The chain a model name (:func:`chain_name`) asks for; another name: the platform's."""
    try:
        data = json.loads(model_name or "")
    except ValueError:
        return ExtractorStage()
    try:
        return ExtractorStage.model_validate(data)
    except ValidationError:
        return ExtractorStage()


def workflow_item_id(workflow_id: str) -> tuple[str, uuid.UUID] | None:
    """``("item", id)`` for a WorkItemWorkflow, ``("order", id)`` for a one-item order's
    WorkOrderWorkflow (its item runs inline); None for any other id."""
    for kind, prefix in (("item", ITEM_PREFIX), ("order", ORDER_PREFIX)):
        if workflow_id.startswith(prefix):
            try:
                return kind, uuid.UUID(workflow_id.removeprefix(prefix))
            except ValueError:
                return None
    return None


class TurnInput(BaseModel):
    """What a model call's attempt row keeps as its input (the conversation is in
    ``usage.calls``, redacted and size-capped, not here)."""

    item: ItemRef
    model: str | None = None


class TurnOutput(BaseModel):
    usage: Usage
    provider: str | None = None


class CostsUsage(Protocol):
    usage: Usage
    provider: str | None


@dataclass
class Turn:
    """One model call: the item it is for, and the model that asked (what it cost so far)."""

    item: ItemRef
    model: CostsUsage | None = None

    def output(self) -> TurnOutput | None:
        if self.model is None:
            return None
        return TurnOutput(usage=self.model.usage, provider=self.model.provider)


TURN: ContextVar[Turn | None] = ContextVar("myloware_agent_turn", default=None)
