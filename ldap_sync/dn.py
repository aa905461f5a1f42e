"""Distinguished names compared the way a directory compares them."""

from __future__ import annotations

import ldap.dn


def normalize_dn(dn: str) -> str:
    """Canonical form of a DN: case and spacing do not matter, escaping is made uniform."""
    try:
        parts = ldap.dn.str2dn(dn.strip())
    except ldap.DECODING_ERROR:
        return " ".join(dn.lower().split())
    normal = [
        [(attr.lower(), value.strip().lower(), flags) for attr, value, flags in rdn]
        for rdn in parts
    ]
    return ldap.dn.dn2str(normal)


def rdn_values(dn: str, attribute: str) -> list[str]:
    """Values of one RDN attribute from the innermost to the outermost, as written."""
    try:
        parts = ldap.dn.str2dn(dn)
    except ldap.DECODING_ERROR:
        return []
    return [value for rdn in parts for attr, value, _ in rdn if attr.lower() == attribute]


def is_within(dn_norm: str, base_norm: str) -> bool:
    """True when a normalised DN is the base itself or lies below it."""
    return dn_norm == base_norm or dn_norm.endswith("," + base_norm)
