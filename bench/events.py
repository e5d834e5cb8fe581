"""The request every part of the benchmark sends, and the Lambda context it comes with.

Light on purpose: the cold-start cases import it in fresh processes.
"""

from typing import Any, Final

from tests.factories import LambdaContextStub, http_api_event, lambda_authorizer

PRINCIPAL: Final = "bench-user"
STRANGER: Final = "bench-stranger"


def status_event(ou_id: str, principal_id: str = PRINCIPAL) -> dict[str, Any]:
    """GET /onboarding/status from a caller named by the HTTP API's Lambda authorizer."""
    return http_api_event(authorizer=lambda_authorizer(principal_id, ou_id))


def lambda_context() -> Any:
    return LambdaContextStub()
