"""Factories for Active Directory-shaped LDIF, served by the test slapd with tests/ad.schema.

The entries look to an LDAP client like AD's: objectClass user/group, sAMAccountName,
objectGUID as 16 raw bytes, userAccountControl flags, memberOf. Load them with
start_slapd(..., extra_schemas=(AD_SCHEMA,), ldif_text=ad_ldif(...)) or add them to a
running server with SlapdServer.add_ldif(ad_user(...)).

The text is written by python-ldap's LDIFWriter (like demo/generate_ldif.py), which
base64-encodes every value that is not a SAFE-STRING, as RFC 2849 requires for non-ASCII
values and DNs (å, ä, ö), so both slapadd and ldif.LDIFRecordList accept it.

memberOf is stored as given, not computed: no memberof overlay runs, so a test that
wants group and member to agree must pass the same DNs to ad_user and ad_group.
"""

from __future__ import annotations

import io
import unicodedata
import uuid
from collections.abc import Sequence
from pathlib import Path

import ldif
from ldap.dn import escape_dn_chars

AD_SCHEMA = Path(__file__).with_name("ad.schema")
AD_SUFFIX = "dc=ad,dc=exempelby,dc=se"
AD_MAIL_DOMAIN = "exempelby.se"
AD_SERVICE_DN = f"cn=portal-sync,ou=Tjänstekonton,{AD_SUFFIX}"
AD_SERVICE_PASSWORD = "sync-ad-2026"
AD_USER_PASSWORD = "demo"

# userAccountControl flags, as AD documents them: a normal enabled account is 512;
# ACCOUNTDISABLE (bit value 2) added makes it 514.
UF_ACCOUNTDISABLE = 2
UF_NORMAL_ACCOUNT = 512


def _entry(dn: str, attrs: dict[str, Sequence[str | bytes]]) -> str:
    """One LDIF content record; empty attributes are left out."""
    record = {
        name: [value.encode("utf-8") if isinstance(value, str) else value for value in values]
        for name, values in attrs.items()
        if values
    }
    out = io.StringIO()
    # objectGUID always as "objectGUID::", even when its 16 bytes happen to be printable.
    ldif.LDIFWriter(out, base64_attrs=["objectGUID"], cols=76).unparse(dn, record)
    # LDIFWriter ends each record with a blank line; the callers join records themselves.
    return out.getvalue().rstrip("\n") + "\n"


def _ascii(text: str) -> str:
    """Fold å/ä/ö etc. to a/a/o, as mail addresses (IA5String in the schema) need."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def ad_dn(name: str, ou: str = "ou=Personal") -> str:
    """The DN of an entry named cn=<name> in the given OU below AD_SUFFIX."""
    return f"cn={escape_dn_chars(name)},{ou},{AD_SUFFIX}"


def ad_guid(sam: str) -> uuid.UUID:
    """The objectGUID ad_user gives an account by default: stable across test runs."""
    return uuid.uuid5(uuid.NAMESPACE_DNS, sam)


def ad_base_entries() -> str:
    """The suffix, the OUs Personal, Grupper and Tjänstekonton, and the sync service account.

    The service account is an ordinary entry (not the rootdn), so a test binding as it
    goes through the same ACLs as the portal does in production.
    """
    ous = ("Personal", "Grupper", "Tjänstekonton")
    entries = [
        _entry(
            AD_SUFFIX,
            {"objectClass": ["top", "dcObject", "organization"], "dc": ["ad"], "o": ["Exempelby"]},
        ),
        *(
            _entry(
                f"ou={ou},{AD_SUFFIX}", {"objectClass": ["top", "organizationalUnit"], "ou": [ou]}
            )
            for ou in ous
        ),
        _entry(
            AD_SERVICE_DN,
            {
                "objectClass": ["top", "organizationalRole", "simpleSecurityObject"],
                "cn": ["portal-sync"],
                "description": ["Tjänstekonto för LIS-portalens synkronisering"],
                "userPassword": [AD_SERVICE_PASSWORD],
            },
        ),
    ]
    return "\n".join(entries)


def ad_user(
    sam: str,
    *,
    guid: uuid.UUID | None = None,
    ou: str = "ou=Personal",
    name: str | None = None,
    company: str = "Exempelby kommun",
    department: str = "Socialtjänst / Äldreomsorg",
    manager: str | None = None,
    member_of: Sequence[str] = (),
    disabled: bool = False,
    kind: str | None = None,
    title: str = "Handläggare",
    upn: str | None = None,
) -> str:
    """One AD user account as LDIF, at ad_dn(name, ou); its password is AD_USER_PASSWORD.

    name defaults to the capitalised parts of sam ("anna.berg" -> "Anna Berg"); its first
    word becomes givenName and the rest sn. guid defaults to ad_guid(sam). manager and
    member_of are DNs (see ad_dn). kind becomes employeeType. mail is sam@exempelby.se
    folded to ASCII, userPrincipalName sam@exempelby.se unless upn is given.
    """
    name = name or " ".join(part.capitalize() for part in sam.split("."))
    given, _, surname = name.partition(" ")
    guid = guid or ad_guid(sam)
    flags = UF_NORMAL_ACCOUNT | (UF_ACCOUNTDISABLE if disabled else 0)
    return _entry(
        ad_dn(name, ou),
        {
            "objectClass": ["top", "person", "organizationalPerson", "user"],
            "cn": [name],
            "objectGUID": [guid.bytes_le],  # AD's byte order: first three fields little-endian
            "sAMAccountName": [sam],
            "userPrincipalName": [upn or f"{sam}@{AD_MAIL_DOMAIN}"],
            "displayName": [name],
            "givenName": [given],
            "sn": [surname or name],
            "mail": [f"{_ascii(sam)}@{AD_MAIL_DOMAIN}"],
            "title": [title],
            "company": [company],
            "department": [department],
            "manager": [manager] if manager else [],
            "memberOf": list(member_of),
            "userAccountControl": [str(flags)],
            "employeeType": [kind] if kind else [],
            "userPassword": [AD_USER_PASSWORD],
        },
    )


def ad_group(cn: str, members: Sequence[str] = ()) -> str:
    """One AD group in ou=Grupper as LDIF; members are DNs (see ad_dn)."""
    return _entry(
        ad_dn(cn, "ou=Grupper"),
        {"objectClass": ["top", "group"], "cn": [cn], "member": list(members)},
    )


def ad_ldif(*entries: str) -> str:
    """Join entries (each from the factories above) into one LDIF file's text."""
    return "version: 1\n\n" + "\n".join(entry.strip("\n") + "\n" for entry in entries)
