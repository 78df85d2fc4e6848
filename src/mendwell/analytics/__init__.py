"""Pure outcome statistics: change scores, responder rates, MMRM, effect sizes."""
