"""Target 5: past one machine. Arithmetic from list prices and the measured reads per request.

Prices are AWS's published on-demand list prices in us-east-1 (check the pricing pages before
relying on them): API Gateway HTTP API, Lambda arm64, DynamoDB on-demand reads.
"""

from typing import Final

from bench.report import Table

OUS: Final = 1_000_000
POLL_SECONDS: Final = 30
SECONDS_PER_MONTH: Final = 30 * 24 * 3600
HTTP_API_FIRST_300M: Final = 1.00  # $ per million requests, first 300 million a month
HTTP_API_BEYOND: Final = 0.90  # $ per million requests beyond that
LAMBDA_REQUESTS: Final = 0.20  # $ per million requests
LAMBDA_ARM_GB_SECOND: Final = 0.0000133334  # $ per GB-s, first 7.5 billion GB-s a month
LAMBDA_MEMORY_GB: Final = 0.25  # 256 MB, as template.yaml
DYNAMODB_READ_UNITS: Final = 0.125  # $ per million read request units (on-demand)
PARTITION_READ_UNITS: Final = 3_000  # per second, per partition
ASSUMED_DURATION_MS: Final = 10  # billed ms per warm request (one round trip + overhead)


def run(read_units_per_request: int, read_units_large_ou: int) -> Table:
    requests = OUS * SECONDS_PER_MONTH // POLL_SECONDS
    millions = requests / 1_000_000
    api = 300 * HTTP_API_FIRST_300M + (millions - 300) * HTTP_API_BEYOND
    gb_seconds = requests * ASSUMED_DURATION_MS / 1000 * LAMBDA_MEMORY_GB
    duration = gb_seconds * LAMBDA_ARM_GB_SECOND
    invocations = millions * LAMBDA_REQUESTS
    reads = millions * read_units_per_request * DYNAMODB_READ_UNITS
    total = api + duration + invocations + reads
    per_second = requests / SECONDS_PER_MONTH
    table = Table(
        f"Target 5: {OUS:,} OUs polling every {POLL_SECONDS} s, per month (on-demand list prices)",
        ["item", "arithmetic", "$ / month"],
    )
    table.add(
        "requests",
        f"{OUS:,} x {SECONDS_PER_MONTH:,} s / {POLL_SECONDS} s = "
        f"{requests:,} ({per_second:,.0f}/s on average)",
        "",
    )
    table.add(
        "API Gateway HTTP API",
        f"300 M x $1.00/M + {millions - 300:,.0f} M x $0.90/M",
        f"{api:,.0f}",
    )
    table.add("Lambda requests", f"{millions:,.0f} M x $0.20/M", f"{invocations:,.0f}")
    table.add(
        "Lambda duration (arm64, 256 MB)",
        f"{requests:,} x {ASSUMED_DURATION_MS} ms x 0.25 GB = {gb_seconds:,.0f} GB-s "
        f"x ${LAMBDA_ARM_GB_SECOND:.10f}".rstrip("0"),
        f"{duration:,.0f}",
    )
    table.add(
        "DynamoDB reads",
        f"{millions:,.0f} M x {read_units_per_request} read units x ${DYNAMODB_READ_UNITS}/M",
        f"{reads:,.0f}",
    )
    table.add("**total**", f"${total / OUS:.3f} per OU", f"**{total:,.0f}**")
    concurrency = per_second * ASSUMED_DURATION_MS / 1000
    table.notes += [
        f"Read units per request: {read_units_per_request}, measured above for a member of an "
        "OU whose first items qualify (one GetItem and three one-page Queries, each under "
        f"4 KB). Duration is an assumption ({ASSUMED_DURATION_MS} ms billed per warm request: "
        "one concurrent round trip to DynamoDB plus the handler); each further 10 ms adds "
        f"${duration:,.0f}.",
        f"One OU is one partition key per table, and a partition serves at most "
        f"{PARTITION_READ_UNITS:,} read units/s: {PARTITION_READ_UNITS:,} requests/s for one "
        "OU at 1 read unit per table (a thousand people watching one OU's dashboard make 33/s), "
        f"but about {PARTITION_READ_UNITS // max(1, read_units_large_ou - 3):,}/s for the "
        f"10,000-integration OU above ({read_units_large_ou:,} read units a request, almost all "
        "in its integrations check).",
        f"Average load: {per_second:,.0f} requests/s and {concurrency:,.0f} concurrent "
        "executions (rate x duration). The stage's ThrottlingRateLimit (100/s, burst 200) "
        "suits a pilot, not this: it would need ~2x the average (peaks) and an account quota "
        "raise (API Gateway's default is 10,000 requests/s per region; Lambda's 1,000 "
        "concurrent executions). Reserved concurrency: about 2x the average concurrency, so "
        "this function can neither starve the account's others nor be starved.",
        "API Gateway and Lambda requests are most of the bill, not DynamoDB: polling less "
        "often, or only while the page is visible, saves more than any read optimisation.",
    ]
    return table
