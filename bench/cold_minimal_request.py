"""``python -m bench.cold_minimal_request``: bench.cold_request's request, answered in a fresh
process by the minimal handler (bench.variants) through boto3's default client."""

import os
import sys

import boto3

from bench.events import lambda_context, status_event
from bench.minimal import minimal_handler
from bench.stub import ZeroLatencyDynamoDb
from domain.checklist import EvidenceSource

client = ZeroLatencyDynamoDb().attach(boto3.client("dynamodb"))
tables = {source: os.environ[f"{source.upper()}_TABLE"] for source in EvidenceSource}
handler = minimal_handler(client, os.environ["MEMBERSHIPS_TABLE"], tables)
response = handler(status_event("ou-bench"), lambda_context())
sys.exit(0 if response["statusCode"] == 200 else 1)
