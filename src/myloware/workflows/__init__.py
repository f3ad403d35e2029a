"""Deterministic workflow code only (no I/O): WorkOrderWorkflow, WorkItemWorkflow and the
ApprovalStep they share (:mod:`myloware.temporal_client` connects and starts orders).

The activities these workflows call are the agents (:mod:`myloware.agents`) and the worker's
bookkeeping (:mod:`myloware.worker`); the worker's composition root is
:mod:`myloware.worker.build`.
"""
