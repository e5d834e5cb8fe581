"""``python -m bench.cold_request``: one request in a fresh process, as Lambda's first
invocation: import the API's entry point (INIT), then answer one request (settings, client and
pool are made then), with DynamoDB stubbed in-process (bench.stub). Exit 0 on a 200.
Run by bench.cold_start, as is bench.cold_minimal_request for the minimal handler."""

import sys

import composition
from bench.events import lambda_context, status_event
from bench.stub import ZeroLatencyDynamoDb
from handlers.status_api import lambda_handler

stub = ZeroLatencyDynamoDb()
make_client = composition.dynamodb_client
composition.dynamodb_client = lambda settings: stub.attach(make_client(settings))
response = lambda_handler(status_event("ou-bench"), lambda_context())
sys.exit(0 if response["statusCode"] == 200 else 1)
