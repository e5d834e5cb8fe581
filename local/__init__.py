"""Running the service on a laptop: an embedded DynamoDB-compatible store, demo data, and a
local HTTP front that turns requests into API Gateway events. Not part of the Lambda package."""
