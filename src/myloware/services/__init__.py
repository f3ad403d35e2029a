"""Application services: the use cases behind the API and the CLI, scoped by tenant."""
