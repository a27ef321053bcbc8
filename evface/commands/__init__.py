"""CLI command modules. Each defines ``register(app)`` and is listed in evface.cli.COMMAND_MODULES."""
