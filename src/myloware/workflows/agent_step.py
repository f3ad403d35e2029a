"""The extractor agent run in workflow code: each model call and each tool call an activity.

ExtractorLLM reads the document with the rules and hands over an :class:`AgentPlan` (the
prompt, the chain, the output schema). Here the OpenAI Agents SDK runs the loop; Temporal's
OpenAI Agents integration (its plugin on the worker) makes each model call its
``invoke_model_activity``, retried by Temporal, and each tool is an ``ExtractorTool``
activity. How the run ended — the answer, or why there is none — goes to ``ExtractorAgent``,
which grounds the answer in the text or keeps the rules' record, saying why.

Used only where ExtractorLLM handed a plan, behind :data:`AGENT_IN_WORKFLOW_PATCH`: histories
from before never reach it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from myloware.agents import AgentName, ExtractorLLM
    from myloware.contracts import (
        AgentRecordInput,
        ExtractOutput,
        ItemRef,
        ToolCallInput,
    )
    from myloware.records import DocumentType
    from myloware.workflows.failures import failure_reason, failure_type

AGENT_IN_WORKFLOW_PATCH = "agent-in-workflow"
#: the whole run under the plan's deadline (a timer: histories from before have none)
AGENT_RUN_DEADLINE_PATCH = "agent-run-deadline"
STEP_TIMEOUT = timedelta(seconds=60)
# a tool's own failure is answered to the model inside the activity: what fails the activity
# is the worker or the database, retried a few times before the run ends in the rules' record
TOOL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3)
RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


class AgentStep:
    """One agent run for one item, in the workflow."""

    def __init__(self, item: ItemRef, document_type: DocumentType) -> None:
        self.item, self.document_type = item, document_type
        self._tools: list[str] = []  # what the template and the tenant allow

    async def run(self, handed: ExtractOutput) -> ExtractOutput:
        plan = handed.agent
        assert plan is not None, "ExtractorLLM handed no agent plan"
        with workflow.unsafe.imports_passed_through():
            from agents import Agent, RunConfig, Runner
            from agents.exceptions import AgentsException
            from temporalio.openai_agents import AgentsWorkflowError

            from myloware.agents.extractor_agent import function_tools, record_output

        self._tools = list(handed.tools)
        ending = AgentRecordInput(
            item=self.item,
            document_type=self.document_type,
            rules=handed.record,
            tools=handed.tools,
            related=handed.related,
        )
        agent: Agent[None] = Agent(
            name=AgentName.EXTRACTOR.value,
            instructions=plan.instructions,
            model=plan.model,
            tools=list(function_tools(self._tools, self._tool)),
            output_type=record_output(plan.output_schema, plan.schema_name),
        )
        run = Runner.run(
            agent,
            plan.prompt,
            max_turns=plan.max_turns,
            run_config=RunConfig(tracing_disabled=True),
        )
        deadline = plan.deadline_s
        started = workflow.time()
        try:
            if deadline is not None and workflow.patched(AGENT_RUN_DEADLINE_PATCH):
                # a workflow timer: the model or tool call in flight is cancelled
                result = await asyncio.wait_for(run, timeout=deadline)
            else:
                result = await run
        except (TimeoutError, ActivityError, AgentsException, AgentsWorkflowError) as exc:
            if deadline is not None and workflow.time() - started >= deadline:
                # the call cancelled at the deadline may end as its own error, not a timeout
                ending.failure = f"the agent run passed its deadline ({deadline:g} s)"
            elif isinstance(exc, ActivityError):  # a model call failed its last attempt
                ending.failure = failure_reason(exc)
                ending.budget_spent = failure_type(exc) == "BudgetSpent"
            else:
                # no record: too many turns, an unknown tool, prose; or a tool activity's
                # failure (the integration wraps it to fail the workflow: the rules' record
                # goes on)
                ending.failure = failure_reason(exc.__cause__ or exc)[:200]
        else:
            answer: Any = result.final_output
            ending.answer = answer if isinstance(answer, dict) else {}
            responses = result.raw_responses
            ending.provider = responses[-1].response_id if responses else None
        return await workflow.execute_activity_method(
            ExtractorLLM.agent_record,
            ending,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    async def _tool(self, name: str, arguments: str) -> str:
        """One tool call as an ``ExtractorTool`` activity; the model reads its answer."""
        out = await workflow.execute_activity_method(
            ExtractorLLM.tool,
            ToolCallInput(
                item=self.item,
                document_type=self.document_type,
                tools=self._tools,
                name=name,
                arguments=arguments,
            ),
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=TOOL_RETRY,
        )
        return out.answer
