"""Running the platform: embedded services, bootstrap, the roles and the `up` supervisor."""

from myloware.runtime.embedded import EmbeddedServices, ServiceEndpoints

__all__ = ["EmbeddedServices", "ServiceEndpoints"]
