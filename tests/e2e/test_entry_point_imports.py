"""What Lambda imports while it initialises the API function, in a fresh interpreter (a
subprocess: the test process has imported everything already)."""

import json
import os
import socket
import subprocess
import sys

from tests.factories import http_api_event, lambda_authorizer

TABLE_VARIABLES = {
    "MEMBERSHIPS_TABLE": "m-table",
    "INTEGRATIONS_TABLE": "i-table",
    "SCORING_RULES_TABLE": "s-table",
    "ENGAGEMENT_LEVELS_TABLE": "e-table",
}
DEFERRED_MODULES = (
    "boto3",
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


def test_the_api_answers_its_first_request_without_pydantic() -> None:
    """pydantic is a measurable part of the API's cold start (docs/benchmarks.md): neither the
    entry point's import nor its first answer loads it. The store is a closed port, so the
    answer is 503 after the settings, the client and the checks have all been used."""
    event = http_api_event(authorizer=lambda_authorizer(ou_id="ou-1"))
    code = (
        "import json, sys\n"
        "from handlers.status_api import lambda_handler\n"
        "from tests.factories import LambdaContextStub\n"
        "response = lambda_handler(json.loads(sys.stdin.read()), LambdaContextStub())\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')]\n"
        "print(json.dumps({'status': response['statusCode'], 'pydantic': loaded}))\n"
    )
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(event),
            env={
                **os.environ,
                **TABLE_VARIABLES,
                "PYTHONPATH": os.pathsep.join(["src", "."]),
                "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_MAX_ATTEMPTS": "1",
            },
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome == {"status": 503, "pydantic": []}
