"""Distinguished names compared the way a directory compares them.

A nightly sync normalises two DNs per person (the entry's and its manager's); with
50,000 people full RFC 4514 parsing costs more than the LDAP search itself. Almost
every real DN has no escapes, quotes or multi-valued RDNs, so those take a plain
string path, and anything unusual goes through python-ldap's parser. Both paths give
the same result (tested).
"""

from __future__ import annotations

import ldap.dn

# Characters that need the full parser: escapes, quoting, multi-valued RDNs, and the
# characters dn2str would escape in a value.
_NEEDS_PARSER = frozenset('\\"+;<>#')
# Spacing or empty parts the canonical form would change.
_SPACING = (" ,", ", ", " =", "= ", ",,", "=,")


def _simple_rdns(dn: str) -> list[tuple[str, str]] | None:
    """(attribute, value) pairs of a DN without special characters, else None."""
    if not dn or not _NEEDS_PARSER.isdisjoint(dn):
        return None
    pairs = []
    for rdn in dn.split(","):
        attr, sep, value = rdn.partition("=")
        attr, value = attr.strip(), value.strip()
        if not sep or not attr or not value or "=" in value:
            return None
        pairs.append((attr, value))
    return pairs


def _parsed_rdns(dn: str) -> list[list[tuple[str, str]]] | None:
    try:
        parts = ldap.dn.str2dn(dn.strip())
    except ldap.DECODING_ERROR:
        return None
    return [[(attr, value) for attr, value, _ in rdn] for rdn in parts]


def normalize_dn(dn: str) -> str:
    """Canonical form of a DN: case and spacing do not matter, escaping is made uniform."""
    if (_NEEDS_PARSER.isdisjoint(dn) and dn.count("=") == dn.count(",") + 1
            and not any(p in dn for p in _SPACING) and dn == dn.strip()):
        return dn.lower()  # already canonical but for case: the usual DN
    simple = _simple_rdns(dn)
    if simple is not None:
        return ",".join(f"{attr.lower()}={value.lower()}" for attr, value in simple)
    try:
        parts = ldap.dn.str2dn(dn.strip())
    except ldap.DECODING_ERROR:
        return " ".join(dn.lower().split())
    normal = [
        [(attr.lower(), value.strip().lower(), flags) for attr, value, flags in rdn]
        for rdn in parts
    ]
    return ldap.dn.dn2str(normal)


def rdns(dn: str) -> list[list[tuple[str, str]]]:
    """The RDNs from the innermost out, each a list of (attribute, value) as written."""
    simple = _simple_rdns(dn)
    if simple is not None:
        return [[pair] for pair in simple]
    return _parsed_rdns(dn) or []


def rdn_values(dn: str, attribute: str) -> list[str]:
    """Values of one RDN attribute from the innermost to the outermost, as written."""
    return [value for rdn in rdns(dn) for attr, value in rdn if attr.lower() == attribute]


def is_within(dn_norm: str, base_norm: str) -> bool:
    """True when a normalised DN is the base itself or lies below it."""
    return dn_norm == base_norm or dn_norm.endswith("," + base_norm)
