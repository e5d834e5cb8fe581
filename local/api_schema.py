"""The response bodies as the OpenAPI document describes them: pydantic models, for the
document only.

The deployed function never imports this module (pydantic is a measurable part of its cold
start, docs/benchmarks.md): it writes the bodies from domain.status and handlers.responses.
local/openapi.py turns these models into the document's component schemas, and a test
validates real bodies against them, strictly and with no field left over, so the two cannot
drift apart.
"""

from typing import Final

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

# The counts are computed from the steps by the function, never sent by a client.
_DERIVED: Final[JsonDict] = {"readOnly": True}


class StepStatus(BaseModel):
    """One step of the setup checklist and whether the OU has completed it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Unique identifier for the step", examples=["connect_integration"])
    label: str = Field(description="Human-readable step name", examples=["Connect an integration"])
    completed: bool = Field(description="Whether this step has been completed")
    action_path: str = Field(
        description="URL path to the relevant configuration page",
        examples=["/settings/integrations"],
    )


class OnboardingStatus(BaseModel):
    """Completion of every guided setup step for one OU. The counts derive from the steps."""

    model_config = ConfigDict(frozen=True)

    steps: tuple[StepStatus, ...] = Field(description="Ordered list of setup steps")
    all_complete: bool = Field(
        description="true when every step is complete", json_schema_extra=_DERIVED
    )
    completed_count: int = Field(
        description="Number of steps currently marked complete", json_schema_extra=_DERIVED
    )
    total_count: int = Field(description="Total number of steps", json_schema_extra=_DERIVED)


class ErrorBody(BaseModel):
    """Every non-2xx answer: a stable code and a fixed human message, nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Stable, machine-readable error code", examples=["forbidden"])
    message: str = Field(description="Fixed, human-readable explanation (no ids, no details)")


RESPONSE_MODELS: Final = (ErrorBody, OnboardingStatus, StepStatus)
