"""Shared across tiers. Powertools reads its service name and metrics namespace when its objects
are built (at handler import); deployments set them in template.yaml, tests set them here.

Hypothesis runs a fixed, modest number of examples per property by default and in CI ("ci");
HYPOTHESIS_PROFILE=thorough runs five times as many, for a deliberate search."""

import os

from hypothesis import HealthCheck, settings

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "onboarding-status")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Kenbun/Onboarding/Test")

_PROFILE_DEFAULTS = {
    "deadline": None,  # a loaded 2-core CI machine makes example timings meaningless
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("ci", max_examples=100, **_PROFILE_DEFAULTS)
settings.register_profile("thorough", max_examples=500, **_PROFILE_DEFAULTS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
