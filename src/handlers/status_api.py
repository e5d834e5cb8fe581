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
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

import composition
from domain.errors import OnboardingError
from handlers.identity import HTTP_API_PAYLOAD_VERSION, caller_from_event
from handlers.responses import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    error_for,
    json_error,
    json_ok,
)

STATUS_PATH: Final = "/onboarding/status"
STATUS_ALIAS_PATH: Final = "/onboarding-status"
OTHER_METHODS: Final = ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

logger = Logger()
metrics = Metrics()
router = Router()


@router.get(STATUS_PATH, operation_id="getOnboardingStatus")
@router.get(STATUS_ALIAS_PATH, operation_id="getOnboardingStatusAlias")
def get_onboarding_status() -> Response[str]:
    caller = caller_from_event(router.current_event)
    status = composition.status_service().status_for(caller)
    return json_ok(status.model_dump_json())


@router.route(STATUS_PATH, method=OTHER_METHODS, include_in_schema=False)
@router.route(STATUS_ALIAS_PATH, method=OTHER_METHODS, include_in_schema=False)
def method_not_allowed() -> Response[str]:
    return json_error(METHOD_NOT_ALLOWED, {"Allow": "GET"})


@router.exception_handler(NotFoundError)
def not_found(_: NotFoundError) -> Response[str]:
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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resolver = http_api if event.get("version") == HTTP_API_PAYLOAD_VERSION else rest_api
    response = resolver.resolve(event, context)
    metrics.add_dimension(name="status_code", value=str(response["statusCode"]))
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    return response
