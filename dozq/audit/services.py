"""Recording workflow steps in the audit log."""

from dozq.audit.models import AuditEntry
from dozq.db import db


def record(actor, action: str, target, summary: str, **details) -> AuditEntry:
    """Add one audit row for a step just taken; the tenant comes from the scope
    (or from ``target`` when a founder acts on one of its institutions)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        summary=summary,
        details=details,
    )
    db.session.add(entry)
    return entry
