"""Running the platform: embedded services, bootstrap, the roles and the `up` supervisor.

Import the modules themselves (``myloware.runtime.embedded`` …): the package imports none,
so that what needs only the event loop (every CLI command) does not load the services'
clients."""
