"""MyloWare's model router as the OpenAI Agents SDK's model provider.

The SDK asks a :class:`agents.Model` for each turn of an agent's conversation; ours
(:class:`RouterModel`) converts the turn to Chat Completions messages and tools with the SDK's
own converter, and sends it down :meth:`ModelRouter.chat` — so the fallback chain, the shared
circuit breakers, the deadline and the transcripts stay ours — then hands the SDK its answer
(tool calls, or the final output) and its token counts. What each turn cost is added up on
:attr:`RouterModel.usage` (tokens, dollars, the transcript of every request), which the agent's
caller copies onto the attempt. Streaming is not offered: an extraction waits for its record.

Imports the SDK: load this module only where an agent runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents import Model, ModelProvider, ModelResponse, ModelSettings, ModelTracing
from agents import Usage as SdkUsage
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseStreamEvent
from agents.models.chatcmpl_converter import Converter
from agents.tool import Tool
from openai.types.chat import ChatCompletionMessage
from openai.types.responses.response_prompt_param import ResponsePromptParam

from myloware.models.base import ModelError, Usage
from myloware.models.router import ModelRouter


class BudgetSpent(ModelError):
    """The run's token budget ran out between two turns: no further turn is asked."""

    transient = False


class RouterModel(Model):
    """One agent run's model: every turn through the router, its usage added up.

    ``token_budget``: the tokens (in + out) the run may spend — what is left of the work
    order's and the tenant's daily budgets; checked before each turn (None: no limit)."""

    def __init__(
        self,
        router: ModelRouter,
        schema_name: str = "final_output",
        *,
        token_budget: int | None = None,
    ) -> None:
        self.router = router
        self.schema_name = schema_name
        self.token_budget = token_budget
        self.usage = Usage()
        self.provider: str | None = None  # who gave the last answer

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff[Any, Any]],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        await self.before_turn()
        spent = self.usage.tokens_in + self.usage.tokens_out
        if self.token_budget is not None and spent >= self.token_budget:
            raise BudgetSpent(
                f"the token budget ran out mid-document ({spent} of {self.token_budget} "
                "tokens left when the run began)",
                provider="router",
            )
        messages: list[dict[str, Any]] = [dict(m) for m in Converter.items_to_messages(input)]
        if system_instructions:
            messages.insert(0, {"role": "system", "content": system_instructions})
        offered = [dict(Converter.tool_to_openai(t)) for t in tools]
        offered += [dict(Converter.convert_handoff_tool(h)) for h in handoffs]
        schema, name = None, self.schema_name
        if output_schema is not None and not output_schema.is_plain_text():
            schema, name = output_schema.json_schema(), output_schema.name()
        try:
            reply = await self.router.chat(
                messages=messages, tools=offered, schema=schema, schema_name=name
            )
        except Exception as exc:
            usage = getattr(exc, "usage", None)
            if isinstance(usage, Usage):  # what the failed requests still cost
                self.usage = self.usage + usage
            raise
        self.usage = self.usage + reply.usage
        self.provider = reply.provider
        message = ChatCompletionMessage.model_validate(reply.message)
        tokens_in, tokens_out = reply.usage.tokens_in, reply.usage.tokens_out
        return ModelResponse(
            output=Converter.message_to_output_items(message),
            usage=SdkUsage(
                requests=1,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                total_tokens=tokens_in + tokens_out,
            ),
            # Chat Completions has no server-side response ids: the answering provider
            # instead, which the agent run in a workflow reads back (``agent:<provider>``)
            response_id=reply.provider,
        )

    async def before_turn(self) -> None:
        """Called before each turn: a subclass checks what it must (a budget kept elsewhere)
        and may set :attr:`token_budget`; raising :class:`BudgetSpent` asks no turn."""

    def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff[Any, Any]],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        raise NotImplementedError("MyloWare's agents do not stream")


class RouterModelProvider(ModelProvider):
    """Every model name to the one :class:`RouterModel` of this run (the chain, not the
    name, decides which model answers: the template's providers and model)."""

    def __init__(self, model: RouterModel) -> None:
        self.model = model

    def get_model(self, model_name: str | None) -> Model:
        return self.model
