"""Lambda entry point of the fleet sweep, one task of the Step Functions state machine.

- ``{"mode": "adopt" | "reconcile" | "report", "segment": i, "total_segments": n}`` sweeps one
  parallel-scan segment and answers with its counts and a ``cursor`` (null when finished); the
  answer given back resumes the segment (domain.fleet).
- ``{"merge": [answer, ...]}`` adds the segments' answers into the fleet's, and publishes the
  funnel as CloudWatch metrics (EMF).

Bad input raises ``InvalidSweepRequest`` before anything is read or written.
"""

from collections.abc import Mapping
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

import composition
from domain.fleet import SweepMode, merge_answers, parse_sweep_request
from domain.identifiers import OuId

logger = Logger()
metrics = Metrics()

MERGE: Final = "merge"
ADOPTED_BY_RECONCILE_METRIC: Final = "FleetOusAdoptedByReconcile"
FAILED_METRIC: Final = "FleetOusFailed"


class LoggingObserver:
    """One log line per OU the sweep has something to say about."""

    def adopted_unrecorded(self, ou_id: OuId) -> None:
        # Reconcile found an OU no check or adoption had recorded: adopted, not announced.
        logger.warning("reconcile adopted an unrecorded OU", extra={"ou_id": ou_id})

    def ou_failed(self, ou_id: OuId, error: Exception) -> None:
        logger.warning(
            "sweep of an OU failed; the segment goes on",
            extra={"ou_id": ou_id, "error": type(error).__name__},
        )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: object, context: LambdaContext) -> Mapping[str, Any]:
    if isinstance(event, dict) and MERGE in event:
        # Every mode counts the funnel as it goes, so every merged answer is published.
        answer = merge_answers(event[MERGE])
        publish_funnel(answer)
        return answer
    request = parse_sweep_request(event)
    result = composition.fleet_sweep().run(
        request, lambda: context.get_remaining_time_in_millis() / 1000, LoggingObserver()
    )
    answer = result.to_dict()
    logger.info("segment swept", extra={key: answer[key] for key in ("mode", "segment", "cursor")})
    # This invocation's own counts: the answer's include what earlier ones carried over.
    failed = result.tally.failed - request.carried.failed
    metrics.add_metric(name=FAILED_METRIC, unit=MetricUnit.Count, value=failed)
    if request.mode is SweepMode.RECONCILE:
        adopted = result.tally.adopted - request.carried.adopted
        metrics.add_metric(name=ADOPTED_BY_RECONCILE_METRIC, unit=MetricUnit.Count, value=adopted)
    return answer


def publish_funnel(answer: Mapping[str, Any]) -> None:
    """The fleet's funnel as metrics, for the dashboard: totals, per step, percentiles."""
    metrics.add_metric(name="FleetOus", unit=MetricUnit.Count, value=answer["ous"])
    metrics.add_metric(name="FleetComplete", unit=MetricUnit.Count, value=answer["complete"])
    metrics.add_metric(name="FleetStalled", unit=MetricUnit.Count, value=answer["stalled"])
    for name, hours in answer["time_to_complete_percentiles"].items():
        if hours is not None:
            percentile = f"FleetTimeToComplete{name.upper()}Hours"
            metrics.add_metric(name=percentile, unit=MetricUnit.Count, value=hours)
    for step, count in answer["steps"].items():
        with single_metric(name="FleetStepComplete", unit=MetricUnit.Count, value=count) as metric:
            metric.add_dimension(name="step", value=step)
