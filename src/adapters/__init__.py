"""AWS behind the domain's ports: DynamoDB reads and the check runner."""
