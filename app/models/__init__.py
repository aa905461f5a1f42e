"""All models, imported here so Alembic and the app see every table."""

from app.models.audit import AuditEvent
from app.models.auth import SignInAttempt
from app.models.checklists import (
    AssignmentHolder,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    ItemCheck,
    SubjectType,
)
from app.models.documents import (
    Acknowledgement,
    AdoptionAction,
    ChangeKind,
    Document,
    DocumentAdoption,
    DocumentVersion,
)
from app.models.follow_up import (
    FollowUpSnapshot,
    ManagementReview,
    Reminder,
    ReminderKind,
    scope_key_of,
)
from app.models.organizations import Organization, OrganizationKind, OrgUnit
from app.models.people import GrantSource, Person, PersonKind, PersonSource, Role, RoleGrant
from app.models.progress import RequirementSlot, RequirementSlotVersion
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
    "AssignmentHolder",
    "AuditEvent",
    "ChangeKind",
    "ChecklistAssignment",
    "ChecklistItem",
    "ChecklistRole",
    "ChecklistTemplate",
    "Classification",
    "CompletionSource",
    "Document",
    "DocumentAdoption",
    "DocumentVersion",
    "FollowUpSnapshot",
    "GrantSource",
    "InformationSystem",
    "ItemCheck",
    "LifecycleStatus",
    "ManagementReview",
    "OrgUnit",
    "Organization",
    "OrganizationKind",
    "Person",
    "PersonKind",
    "PersonSource",
    "ProofMethod",
    "Reminder",
    "ReminderKind",
    "RequirementSlot",
    "RequirementSlotVersion",
    "Risk",
    "RiskAnalysis",
    "Role",
    "RoleGrant",
    "SignInAttempt",
    "SubjectType",
    "SyncChange",
    "SyncLock",
    "SyncRun",
    "SyncStatus",
    "SyncTrigger",
    "SystemAdministrator",
    "SystemStatusChange",
    "Training",
    "TrainingCompletion",
    "scope_key_of",
]
