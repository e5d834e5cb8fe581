"""The onboarding checklist: what each step means, how status is computed, and the ports it needs.

Nothing in this package knows about AWS, HTTP or threads.
"""
