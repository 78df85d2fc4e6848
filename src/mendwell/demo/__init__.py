"""A deterministic demo organisation with obviously fictional clients.

``build_demo`` runs the steps in ``DEMO_STEPS`` in order against one context; a feature adds its
own demo data (screenings, sessions, measures) by registering a step with :func:`demo_step`.
Every write goes through the actions, so the demo has a realistic audit trail.
"""

import importlib

from mendwell.demo.builder import (
    DEMO_PASSWORD,
    DEMO_SETTINGS,
    DEMO_STEPS,
    DemoContext,
    DemoSummary,
    build_demo,
    demo_step,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SETTINGS",
    "DEMO_STEPS",
    "DemoContext",
    "DemoSummary",
    "build_demo",
    "demo_step",
]

# Modules whose steps build the demo; steps run in this order (each builds on the ones before).
STEP_MODULES = (
    "registry",
    "screening",
    "courses",
    "dosing_sessions",
    "measures",
    "adverse_events",
)

for _module in STEP_MODULES:
    importlib.import_module(f"mendwell.demo.{_module}")
