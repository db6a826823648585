"""The severity matrix: every source's signal mapped to a suggested category and level.

Receivers describe what arrived and ask this module what it means, so a change to how
signals are classified is a change here alone. The duty engineer confirms or changes
the suggestion during triage.
"""

from dataclasses import dataclass

from incidents.choices import Category, Severity


@dataclass(frozen=True)
class Suggestion:
    category: str
    severity: str
    services: tuple[str, ...] = ()


# Levels used by GitHub code scanning (security_severity_level) and Dependabot advisories.
SECURITY_LEVELS = {
    "critical": Severity.SEV1,
    "high": Severity.SEV2,
    "medium": Severity.SEV3,
    "moderate": Severity.SEV3,
    "low": Severity.SEV4,
}

# Code scanning `rule.severity`, used when a rule has no security_severity_level.
RULE_LEVELS = {"error": Severity.SEV3, "warning": Severity.SEV4, "note": Severity.SEV4}

# CloudWatch alarms keyed by (namespace, metric name); None matches any metric.
CLOUDWATCH_RULES: dict[tuple[str, str | None], Suggestion] = {
    ("AWS/WAFV2", None): Suggestion(Category.SECURITY, Severity.SEV2, ("communities-platform",)),
    ("AWS/ApplicationELB", "TargetResponseTime"): Suggestion(
        Category.AVAILABILITY, Severity.SEV2, ("apis",)
    ),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): Suggestion(
        Category.AVAILABILITY, Severity.SEV2, ("apis",)
    ),
    ("Academy/Realtime", None): Suggestion(
        Category.AVAILABILITY, Severity.SEV2, ("communities-platform",)
    ),
    ("AWS/SQS", None): Suggestion(Category.AVAILABILITY, Severity.SEV3, ("data-plane",)),
}
CLOUDWATCH_DEFAULT = Suggestion(Category.AVAILABILITY, Severity.SEV3)

CRASHLYTICS_RULES = {
    "crashlytics.velocity": Severity.SEV1,
    "crashlytics.newFatalIssue": Severity.SEV2,
    "crashlytics.regression": Severity.SEV3,
    "crashlytics.newAnrIssue": Severity.SEV3,
    "crashlytics.newNonfatalIssue": Severity.SEV4,
    "crashlytics.stabilityDigest": Severity.SEV4,
}
# Crashlytics alerts that inform without opening an incident: the daily digest of
# trending issues joins an open incident for an issue, if there is one.
CRASHLYTICS_INFO_ONLY = {"crashlytics.stabilityDigest"}

ZENDESK_PRIORITIES = {
    "urgent": Severity.SEV1,
    "high": Severity.SEV2,
    "normal": Severity.SEV3,
    "low": Severity.SEV4,
}
ZENDESK_SECURITY_TAGS = {"escalate_security", "privacy", "data_exposure", "account_takeover"}
ZENDESK_SERVICE_TAGS = {"mobile_app": "mobile-apps", "api": "apis", "web": "communities-platform"}

PAGERDUTY_URGENCIES = {"high": Severity.SEV2, "low": Severity.SEV3}


def suggest_for_cloudwatch(namespace: str, metric_name: str) -> Suggestion:
    exact = CLOUDWATCH_RULES.get((namespace, metric_name))
    if exact is not None:
        return exact
    return CLOUDWATCH_RULES.get((namespace, None), CLOUDWATCH_DEFAULT)


def suggest_for_code_scanning(security_level: str | None, rule_severity: str | None) -> Suggestion:
    if security_level:
        severity = SECURITY_LEVELS.get(security_level.lower(), Severity.SEV3)
    else:
        severity = RULE_LEVELS.get((rule_severity or "").lower(), Severity.SEV4)
    return Suggestion(Category.SECURITY, severity, ("communities-platform",))


def suggest_for_dependabot(advisory_severity: str | None) -> Suggestion:
    severity = SECURITY_LEVELS.get((advisory_severity or "").lower(), Severity.SEV3)
    return Suggestion(Category.SECURITY, severity, ("communities-platform",))


def suggest_for_crashlytics(alert_type: str) -> Suggestion:
    severity = CRASHLYTICS_RULES.get(alert_type, Severity.SEV3)
    return Suggestion(Category.AVAILABILITY, severity, ("mobile-apps",))


def crashlytics_opens_incident(alert_type: str) -> bool:
    return alert_type not in CRASHLYTICS_INFO_ONLY


def suggest_for_zendesk(priority: str | None, tags: list[str]) -> Suggestion:
    tag_set = {tag.lower() for tag in tags}
    category = Category.SECURITY if tag_set & ZENDESK_SECURITY_TAGS else Category.AVAILABILITY
    severity = ZENDESK_PRIORITIES.get((priority or "").lower(), Severity.SEV3)
    services = tuple(sorted({slug for tag, slug in ZENDESK_SERVICE_TAGS.items() if tag in tag_set}))
    return Suggestion(category, severity, services)


def suggest_for_pagerduty(urgency: str | None) -> Suggestion:
    severity = PAGERDUTY_URGENCIES.get((urgency or "").lower(), Severity.SEV3)
    return Suggestion(Category.AVAILABILITY, severity)


def suggest_for_manual(category: str, severity: str) -> Suggestion:
    return Suggestion(category, severity)
