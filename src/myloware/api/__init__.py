"""The REST API role: FastAPI app factory, routers, middleware and dependencies."""
