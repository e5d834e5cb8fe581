"""Running the service on a laptop: an embedded DynamoDB-compatible store, demo data, and a
local HTTP front that turns requests into API Gateway events. Not part of the Lambda package."""

import sys
from pathlib import Path

# The function's code lives in src/ (template.yaml: CodeUri: src/) and imports itself from
# there (``import composition``), as it does in the Lambda package. Putting src/ on the path
# here lets ``python -m local.serve``, ``local.invoke`` and ``local.check`` run without PYTHONPATH.
_FUNCTION_CODE = str(Path(__file__).resolve().parent.parent / "src")
if _FUNCTION_CODE not in sys.path:
    sys.path.append(_FUNCTION_CODE)
