"""All models, imported here so Alembic and the app see every table."""

from app.models.audit import AuditEvent
from app.models.auth import SignInAttempt
from app.models.documents import (
    Acknowledgement,
    AdoptionAction,
    ChangeKind,
    Document,
    DocumentAdoption,
    DocumentVersion,
)
from app.models.organizations import Organization, OrganizationKind, OrgUnit
from app.models.people import GrantSource, Person, PersonKind, PersonSource, Role, RoleGrant
from app.models.sync import SyncChange, SyncLock, SyncRun, SyncStatus, SyncTrigger
from app.models.systems import (
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    Classification,
    InformationSystem,
    LifecycleStatus,
    Risk,
    RiskAnalysis,
    SystemAdministrator,
    SystemStatusChange,
)
from app.models.trainings import CompletionSource, ProofMethod, Training, TrainingCompletion

__all__ = [
    "Acknowledgement",
    "ActionPlanItem",
    "ActionStatus",
    "ActionStatusChange",
    "AdoptionAction",
    "AuditEvent",
    "ChangeKind",
    "Classification",
    "CompletionSource",
    "Document",
    "DocumentAdoption",
    "DocumentVersion",
    "GrantSource",
    "InformationSystem",
    "LifecycleStatus",
    "OrgUnit",
    "Organization",
    "OrganizationKind",
    "Person",
    "PersonKind",
    "PersonSource",
    "ProofMethod",
    "Risk",
    "RiskAnalysis",
    "Role",
    "RoleGrant",
    "SignInAttempt",
    "SyncChange",
    "SyncLock",
    "SyncRun",
    "SyncStatus",
    "SyncTrigger",
    "SystemAdministrator",
    "SystemStatusChange",
    "Training",
    "TrainingCompletion",
]
