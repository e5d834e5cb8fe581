"""What Lambda imports while it initialises the API function, in a fresh interpreter (a
subprocess: the test process has imported everything already)."""

import os
import subprocess
import sys

DEFERRED_MODULES = (
    "boto3",
    "pydantic_settings",
    "settings",
    "domain.provisioning",
    "adapters.eventbridge",
)


def test_the_api_entry_point_leaves_what_it_does_not_need_at_init_unimported() -> None:
    """Lambda imports the entry point while it initialises the function (and SnapStart would
    snapshot it then): settings load on the first request, and boto3 (botocore is enough),
    the provisioning use case and EventBridge never in the API."""
    code = (
        "import sys, handlers.status_api\n"
        f"print(*[m for m in ('composition', *{DEFERRED_MODULES!r}) if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(["src", "."])},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["composition"]
