"""The worker role: its composition root and the worker-side I/O around the workflows.

::

    build.py        the workflows, the activities and what they need (the composition root)
    failures.py     how an activity's failure is retried (ErrorSemantics interceptor)
    attempts.py     every agent execution as an ``attempts`` row (AttemptRecorder interceptor)
    trace_batch.py  group commit of finished attempt rows
    bookkeeping.py  plan an order, settle items and orders
    approvals.py    open and settle approval requests

The deterministic workflow code is in :mod:`myloware.workflows`, the agents' activities in
:mod:`myloware.agents`.
"""
