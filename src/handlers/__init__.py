"""Thin Lambda entry points: route, read the identity, call the domain, shape the response."""
