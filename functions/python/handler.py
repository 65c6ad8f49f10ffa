"""Entry point `handler.handler` of the Python function (the pure-Python hot path)."""

from battle_handler import handler_from_environment

handler = handler_from_environment()
