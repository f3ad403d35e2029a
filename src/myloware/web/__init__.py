"""What every HTTP surface of the API process shares: the app's state (AppState, built in the
lifespan), FastAPI dependencies (authentication, sessions, rate limits), the one error format,
the ASGI middleware, and the Temporal client the routes start and decide orders with.

The REST routes (:mod:`myloware.api`), the Run Trace pages (:mod:`myloware.ui`) and the Slack
endpoints (:mod:`myloware.slack`) build on it; :func:`myloware.api.app.create_app` mounts
them all.
"""
