"""Driving the window the way a teacher's script does."""


def use(window, scenario: str, params: dict) -> None:
    """Show `scenario` and set its parameters (``start_method`` included) as if typed."""
    window.select_scenario(scenario)
    for name, value in params.items():
        window.set_param(name, value)
