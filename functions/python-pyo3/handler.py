"""Entry point `handler.handler` of the Python + PyO3 function: the same handler as
functions/python, with its hot path (`cpu_work`) in the Rust library `battle_native`
(rust/native, built with maturin)."""

from battle_handler import handler_from_environment
from battle_native import cpu_work

handler = handler_from_environment(cpu_work=cpu_work)
