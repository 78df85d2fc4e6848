"""A deterministic demo organisation with obviously fictional clients.

``build_demo`` runs the steps in ``DEMO_STEPS`` in order against one context; a feature adds its
own demo data (screenings, sessions, measures) by registering a step with :func:`demo_step`.
Every write goes through the actions, so the demo has a realistic audit trail.
"""

from mendwell.demo import registry as _registry  # noqa: F401  (registers the core steps)
from mendwell.demo.builder import (
    DEMO_PASSWORD,
    DEMO_STEPS,
    DemoContext,
    DemoSummary,
    build_demo,
    demo_step,
)

__all__ = ["DEMO_PASSWORD", "DEMO_STEPS", "DemoContext", "DemoSummary", "build_demo", "demo_step"]

from mendwell.demo import measures as _measures  # noqa: F401  (measures over time)
