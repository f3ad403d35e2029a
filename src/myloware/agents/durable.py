"""The extractor agent through Temporal's OpenAI Agents integration: each model call an
activity, with MyloWare's router as the model provider (docs/models.md, "The agent").

* :class:`TurnModelProvider` — the model the integration's ``invoke_model_activity`` asks:
  the item's chain (the model name, :func:`myloware.agents.turns.chain_name`), its token
  budget checked before the call, what the call cost put on the :class:`~.turns.Turn` the
  attempt recorder opened for it.
* :func:`agents_plugin` — the plugin for a worker: the model activity, its timeouts and
  retries, and the runner that makes ``Runner.run`` in workflow code schedule it. It goes on
  the workers only: on a client it refuses every converter passed in
  (:mod:`myloware.workflows.converter` says why and what ours does instead).

Imports the Agents SDK and the integration (about two seconds): only a worker that runs the
agent in the workflow loads this module.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agents import Model, ModelProvider
from temporalio.common import RetryPolicy
from temporalio.openai_agents import ModelActivityParameters, OpenAIAgentsPlugin

from myloware.agents.extractor import ExtractorLLM
from myloware.agents.turns import TURN, stage_of
from myloware.models.sdk import BudgetSpent, RouterModel
from myloware.settings import Settings


class TurnModel(RouterModel):
    """One model call of the workflow's agent run: the item's chain through the router, its
    budget checked first, what the call cost kept on the attempt recorder's :class:`Turn`."""

    def __init__(self, extractor: ExtractorLLM, model_name: str | None) -> None:
        super().__init__(extractor.model_router(stage_of(model_name)))
        self.extractor = extractor

    async def before_turn(self) -> None:
        turn = TURN.get()
        if turn is None:
            raise RuntimeError("a model call outside an attempt (no work item)")
        turn.model = self
        spent, self.token_budget = await self.extractor.budget(turn.item)
        if spent is not None:
            raise BudgetSpent(
                f"the token budget ran out mid-document ({spent} budget spent)", provider="router"
            )


class TurnModelProvider(ModelProvider):
    def __init__(self, extractor: ExtractorLLM) -> None:
        self.extractor = extractor

    def get_model(self, model_name: str | None) -> Model:
        return TurnModel(self.extractor, model_name)


def model_parameters(settings: Settings) -> ModelActivityParameters:
    """Each model call: within the chain's deadline, tried ``agent_model_attempts`` times
    (a spent budget is not retried), on the model task queue where there is one."""
    return ModelActivityParameters(
        task_queue=settings.model_task_queue,
        start_to_close_timeout=timedelta(seconds=settings.model_deadline_s),
        retry_policy=RetryPolicy(
            initial_interval=timedelta(seconds=1),
            maximum_attempts=settings.agent_model_attempts,
            non_retryable_error_types=[BudgetSpent.__name__],
        ),
    )


def agents_plugin(extractor: ExtractorLLM, *, register_activities: bool = True) -> Any:
    """The integration's plugin for a worker; ``register_activities=False`` where the model
    task queue's worker serves the model calls (the documents' worker still runs the loop)."""
    settings = extractor.deps.settings
    return OpenAIAgentsPlugin(
        model_params=model_parameters(settings),
        model_provider=TurnModelProvider(extractor),
        register_activities=register_activities,
        add_temporal_spans=False,
    )
