"""Lambda entry point of GET /onboarding/status (and its alias /onboarding-status).

API Gateway HTTP APIs send payload 2.0 events; REST APIs send 1.0. The same routes serve both.
"""

from http import HTTPStatus
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

import composition
from domain.errors import OnboardingError
from domain.status import OnboardingStatus
from handlers.api_docs import status_route_docs
from handlers.conditional import IF_NONE_MATCH, request_field_values
from handlers.envelope import payload_version, unusable_event_response
from handlers.identity import HTTP_API_PAYLOAD_VERSION, caller_from_event
from handlers.responses import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    conditional_json,
    error_for,
    json_error,
)

STATUS_PATH: Final = "/onboarding/status"
STATUS_ALIAS_PATH: Final = "/onboarding-status"
OTHER_METHODS: Final = ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
INCOMPLETE_STEP_METRIC: Final = "IncompleteStep"

logger = Logger()
metrics = Metrics()
router = Router()


# Decorators register bottom-up: the main path first, so the OpenAPI document lists it first.
@router.get(
    STATUS_ALIAS_PATH,
    operation_id="getOnboardingStatusAlias",
    **status_route_docs(alias_of=STATUS_PATH),
)
@router.get(STATUS_PATH, operation_id="getOnboardingStatus", **status_route_docs())
def get_onboarding_status() -> Response[str]:
    caller = caller_from_event(router.current_event)
    # Membership is confirmed here, before any 304 can be considered.
    status = composition.status_service().status_for(caller)
    if_none_match = request_field_values(router.current_event.raw_event, IF_NONE_MATCH)
    response = conditional_json(status.to_json(), if_none_match)
    if response.status_code == HTTPStatus.OK:
        count_incomplete_steps(status)
    return response


def count_incomplete_steps(status: OnboardingStatus) -> None:
    """One IncompleteStep count per step not done, by step id, so a product team sees where
    onboarding stalls. Counted per 200 answer (a poll that gets 304 saw nothing new)."""
    for step in status.steps:
        if step.completed:
            continue
        with single_metric(name=INCOMPLETE_STEP_METRIC, unit=MetricUnit.Count, value=1) as metric:
            metric.add_dimension(name="step", value=step.id)


@router.route(STATUS_PATH, method=OTHER_METHODS, include_in_schema=False)
@router.route(STATUS_ALIAS_PATH, method=OTHER_METHODS, include_in_schema=False)
def method_not_allowed() -> Response[str]:
    return json_error(METHOD_NOT_ALLOWED, {"Allow": "GET"})


@router.exception_handler(NotFoundError)
def not_found(_: NotFoundError) -> Response[str]:
    # Methods no route names (TRACE, PURGE, anything) on the status paths are still 405.
    if router.current_event.path in (STATUS_PATH, STATUS_ALIAS_PATH):
        return method_not_allowed()
    return json_error(NOT_FOUND)


@router.exception_handler(OnboardingError)
def domain_error(error: OnboardingError) -> Response[str]:
    answer = error_for(error)
    status = answer[0]
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.error("request failed", extra={"reason": str(error), "status": int(status)})
    else:
        logger.info("request refused", extra={"reason": str(error), "status": int(status)})
    headers = None
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        headers = {"Retry-After": str(composition.app_settings().retry_after_seconds)}
    return json_error(answer, headers)


@router.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response[str]:
    logger.exception("unexpected error", extra={"error_type": type(error).__name__})
    return json_error(INTERNAL_ERROR)


http_api = APIGatewayHttpResolver()
http_api.include_router(router)
rest_api = APIGatewayRestResolver()
rest_api.include_router(router)
# With Lambda SnapStart, the client and the pool are made and primed before the snapshot.
composition.prepare_status_api_for_snapshots()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    version = payload_version(event)
    if version is None:
        # Not from API Gateway as configured: nothing of the event goes to the log.
        logger.error("unusable event", extra={"event_type": type(event).__name__})
        response = unusable_event_response()
    else:
        resolver = http_api if version == HTTP_API_PAYLOAD_VERSION else rest_api
        response = resolver.resolve(event, context)
    metrics.add_dimension(name="status_code", value=str(response["statusCode"]))
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    return response
