"""Shared across tiers. Powertools reads its service name and metrics namespace when its objects
are built (at handler import); deployments set them in template.yaml, tests set them here."""

import os

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "onboarding-status")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Kenbun/Onboarding/Test")
