"""Pure logic of the agents that is not owned by another package (verification, policy stub).

RecordGen uses :mod:`myloware.documents` and :mod:`myloware.extraction` (type detection),
ExtractorLLM :mod:`myloware.extraction`, JsonRestyler :mod:`myloware.normalize`, SchemaGuard
:mod:`myloware.validation`; the activities in :mod:`myloware.workflows.activities` wire them.
"""
