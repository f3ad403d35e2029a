"""Deterministic workflow code only (no I/O): WorkOrderWorkflow, WorkItemWorkflow and the
ApprovalStep they share, plus ``client.py``, which connects to Temporal and starts orders.

The activities these workflows call are the agents (:mod:`myloware.agents`) and the worker's
bookkeeping (:mod:`myloware.worker`); the worker's composition root is
:mod:`myloware.worker.build`.
"""
