"""Domain errors: each names a kind of failure; the handlers decide how a caller sees it."""


class OnboardingError(Exception):
    """Base of every error the domain raises on purpose."""


class NotAuthenticated(OnboardingError):
    """No valid principal: the caller is not signed in, or its principal id is malformed."""


class AccessDenied(OnboardingError):
    """The caller may not see the requested OU: none selected, malformed, or not a member."""


class InvalidRequest(OnboardingError):
    """A workflow's request is malformed: no OU id, a malformed one, or an unknown shape."""


class DependencyUnavailable(OnboardingError):
    """A dependency (DynamoDB, EventBridge) was throttled, failing or too slow, or the checks
    outlasted the request's deadline; retrying later may succeed."""


class DependencyMisconfigured(OnboardingError):
    """A dependency rejected the request for a reason retrying cannot fix (no such table,
    access denied)."""


class ConfigurationError(OnboardingError):
    """The service's own configuration is missing or invalid."""


class EvidenceReadLimitExceeded(OnboardingError):
    """A check read as many items as one request may without finding evidence. Retrying
    cannot help until the data or the store's indexes change; the caller gets a 500 and the
    log names the table and the OU."""
