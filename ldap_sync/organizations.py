"""Which organization of the group an entry belongs to (PORTAL_LDAP_ORGANIZATIONS).

Shape of the setting (JSON):
    {"attribute": "o",                                   # optional: attribute naming it
     "organizations": {"Exempelby kommun": "municipality", "Exempelby Bostäder AB": "company"},
     "bases": {"ou=Bostader,dc=exempelby,dc=se": {"name": "Exempelby Bostäder AB",
                                                   "kind": "company"}},
     "default": {"name": "Exempelby kommun", "kind": "municipality"}}
A base match wins over the attribute; the longest matching base wins over shorter ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ldap_sync.dn import is_within, normalize_dn

KINDS = ("municipality", "company")


@dataclass(frozen=True)
class OrganizationRef:
    name: str
    kind: str


class OrganizationMap:
    """Resolves an entry's organization from its DN and attributes."""

    def __init__(self, config: dict[str, Any] | None, default_attribute: str | None = None) -> None:
        config = config or {}
        self.attribute = (config.get("attribute") or default_attribute or "").lower() or None
        self.kinds = {str(k): str(v) for k, v in (config.get("organizations") or {}).items()}
        self.bases: list[tuple[str, OrganizationRef]] = []
        for base, org in (config.get("bases") or {}).items():
            self.bases.append((normalize_dn(base), self._ref(org["name"], org.get("kind"))))
        self.bases.sort(key=lambda item: len(item[0]), reverse=True)
        self._by_name: dict[str, OrganizationRef] = {}
        default = config.get("default")
        self.default = self._ref(default["name"], default.get("kind")) if default else None

    def _ref(self, name: str, kind: str | None) -> OrganizationRef:
        kind = kind or self.kinds.get(name, "company")
        if kind not in KINDS:
            raise ValueError(f"organization kind must be one of {KINDS}, not {kind!r}")
        return OrganizationRef(name=name, kind=kind)

    def base_of(self, dn_norm: str) -> str | None:
        """The configured base that contains this DN, if any."""
        for base, _ in self.bases:
            if is_within(dn_norm, base):
                return base
        return None

    def resolve(self, dn_norm: str, attrs: dict[str, list[bytes]]) -> OrganizationRef | None:
        """The organization an entry belongs to, or None when nothing says."""
        for base, org in self.bases:
            if is_within(dn_norm, base):
                return org
        if self.attribute and attrs.get(self.attribute):
            name = attrs[self.attribute][0].decode("utf-8").strip()
            if name:
                ref = self._by_name.get(name)
                if ref is None:
                    ref = self._by_name[name] = self._ref(name, None)
                return ref
        return self.default
