"""``python -m bench.cold_minimal_request``: bench.cold_request's request, answered in a fresh
process by the minimal handler (bench.minimal) through boto3's default client."""

import json
import os
import sys

import boto3

from bench.cold_request import CONTEXT, EVENT_VARIABLE
from bench.minimal import minimal_handler
from domain.checklist import EvidenceSource

if __name__ == "__main__":
    tables = {source: os.environ[f"{source.upper()}_TABLE"] for source in EvidenceSource}
    handler = minimal_handler(boto3.client("dynamodb"), os.environ["MEMBERSHIPS_TABLE"], tables)
    response = handler(json.loads(os.environ[EVENT_VARIABLE]), CONTEXT)
    sys.exit(0 if response["statusCode"] == 200 else 1)
