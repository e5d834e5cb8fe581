"""``python -m bench.cold_request``: Lambda's first invocation in a fresh process: import the
API's entry point (INIT), then answer one request (settings, client and pool are made then)
over HTTP from the store named by AWS_ENDPOINT_URL_DYNAMODB. Exit 0 on a 200.

The event comes as JSON in BENCH_EVENT, so that nothing but the service is imported here
(bench.cold_minimal_request imports this module for its context, not the service).
Run by bench.cold_start, as is bench.cold_minimal_request for the minimal handler.
"""

import json
import os
import sys
from types import SimpleNamespace

EVENT_VARIABLE = "BENCH_EVENT"
# The attributes of a Lambda context that Powertools reads.
CONTEXT = SimpleNamespace(
    function_name="onboarding-status-bench",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:onboarding-status",
    aws_request_id="bench-request-id",
)

if __name__ == "__main__":
    from handlers.status_api import lambda_handler

    response = lambda_handler(json.loads(os.environ[EVENT_VARIABLE]), CONTEXT)
    sys.exit(0 if response["statusCode"] == 200 else 1)
