"""Generate demo/exempelby.ldif, the fictional "Exempelby" directory used to demo LIS-portalen.

The portal reads people, organisations and line managers from LDAP. To try it (or develop against
it) without a real municipal directory we need a directory that looks real: a kommun with sectors,
units and sub-units, two municipal companies with boards, elected officials, consultants, Swedish
names with å/ä/ö/é and one deliberately sloppy manager DN. The output is deterministic (fixed seed,
uuid5 ids, salts derived from the uid), so re-running this script gives a byte-identical file.

Usage: .venv/bin/python demo/generate_ldif.py   (every person's password is "demo")
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import unicodedata
import uuid
from collections import Counter
from pathlib import Path

import ldif

SUFFIX = "dc=exempelby,dc=se"
OUTPUT = Path(__file__).with_name("exempelby.ldif")
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "exempelby.se")
DEMO_PASSWORD = "demo"
SYNC_PASSWORD = "sync-demo-2026"
KOMMUN = "Exempelby kommun"
MAIL_DOMAINS = {
    KOMMUN: "exempelby.se",
    "Exempelby Bostäder AB": "bostader.exempelby.se",
    "Exempelby Energi AB": "energi.exempelby.se",
}

FIRST_NAMES = ["Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Kerstin", "Emma", "Ingrid", "Malin", "Åsa", "Elin", "Sofia", "Linnéa", "Ida", "Helena", "Ulla", "Birgitta", "Marie", "Cecilia", "Johanna", "Hanna", "Louise", "Frida", "Märta", "Agneta", "Britt-Marie", "Anna-Karin", "Fatima", "Leila", "Amira", "Yasmin", "Mirjana", "Linh", "Émilie", "Lars", "Mikael", "Anders", "Johan", "Per", "Erik", "Karl", "Peter", "Jan", "Thomas", "Daniel", "Fredrik", "Hans", "Björn", "Östen", "Ahmed", "Magnus", "Stefan", "Mats", "Ulf", "Göran", "Jonas", "Niklas", "Andreas", "Henrik", "Oskar", "Gustav", "Måns", "Sören", "Åke", "Rickard", "André", "Omar", "Ali", "Goran", "Minh", "Jörgen"]
SURNAMES = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström", "Olofsson", "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg", "Åberg", "Öberg", "Ali", "Hassan", "Mohammed", "Nguyen", "Kovačević", "Lidén", "Rosén", "Ekström", "Sjödin", "Holmström", "Nordin", "Engström", "Söderberg", "Wallin", "Dahlberg", "Hedlund", "Åström", "Ståhl", "Näslund", "Björklund", "Ek", "Falk", "Jovanović", "Yilmaz", "Korhonen"]

# A role is "Title" or "Title=Given Surname" (a fixed, well-known person); "Konsult" roles are
# consultants. Unit = (ou, manager role or None, {staff role: count}, [sub-units]).
Unit = tuple[str, str | None, dict[str, int], list["Unit"]]

KOMMUN_SECTORS: list[Unit] = [
    ("Kommunledning", "Kommundirektör=Östen Lindqvist", {}, [
        ("Kommunledningskontoret", "Stabschef", {
            "Informationssäkerhetssamordnare=Karin Holm": 1, "Kommunstrateg": 2, "Utredare": 2,
            "Beredskapssamordnare": 1, "Näringslivsutvecklare": 1}, []),
        ("Kansli", "Kanslichef", {"Nämndsekreterare": 3, "Registrator": 2, "Arkivarie": 1,
                                  "Kommunjurist": 1}, []),
    ]),
    ("Socialtjänst", "Sektorchef socialtjänst", {}, [
        ("Äldreomsorg", "Verksamhetschef äldreomsorg", {"Biståndshandläggare": 3}, [
            ("Hemtjänst Norr", "Enhetschef hemtjänst=Maria Nilsson", {
                "Undersköterska": 9, "Vårdbiträde": 2, "Samordnare hemtjänst": 1}, []),
            ("Hemtjänst Söder", "Enhetschef hemtjänst", {
                "Undersköterska": 10, "Vårdbiträde": 2}, []),
            ("Särskilt boende Solgården", "Enhetschef särskilt boende", {
                "Undersköterska": 13, "Sjuksköterska": 3, "Vårdbiträde": 2}, []),
        ]),
        ("Individ- och familjeomsorg", "Enhetschef individ- och familjeomsorg", {
            "Socialsekreterare": 8, "Familjebehandlare": 2}, []),
        ("Funktionsstöd", "Enhetschef funktionsstöd", {"Stödassistent": 9, "Handläggare": 2}, []),
    ]),
    ("Utbildning", "Sektorchef utbildning", {}, [
        ("Grundskola", "Verksamhetschef grundskola", {"Utvecklingsledare": 1}, [
            ("Björkskolan", "Rektor", {"Lärare": 17, "Fritidspedagog": 2, "Elevassistent": 2,
                                       "Skolsköterska": 1}, []),
            ("Ekskolan", "Rektor", {"Lärare": 15, "Fritidspedagog": 2, "Elevassistent": 1}, []),
        ]),
        ("Förskola", "Verksamhetschef förskola", {
            "Förskollärare=Maria Nilsson": 1, "Förskollärare": 8, "Barnskötare": 9}, []),
        ("Elevhälsa", "Enhetschef elevhälsa", {"Skolsköterska": 2, "Kurator": 2,
                                               "Skolpsykolog": 1}, []),
    ]),
    ("Samhällsbyggnad", "Sektorchef samhällsbyggnad", {}, [
        ("Bygglov", "Bygglovschef", {"Bygglovshandläggare": 4, "Byggnadsinspektör": 2,
                                     "Konsult": 1}, []),
        ("Miljö och hälsoskydd", "Miljöchef", {"Miljöinspektör": 5, "Livsmedelsinspektör": 2}, []),
        ("Gata och park", "Gatuchef", {"Arbetsledare": 2, "Parkarbetare": 7,
                                       "Anläggningsarbetare": 3}, []),
    ]),
    ("Kultur och fritid", "Sektorchef kultur och fritid", {}, [
        ("Bibliotek", "Bibliotekschef", {"Bibliotekarie": 5, "Biblioteksassistent": 2}, []),
        ("Fritidsgårdar", "Enhetschef fritidsgårdar", {"Fritidsledare": 6}, []),
    ]),
    ("Verksamhetsstöd", "Sektorchef verksamhetsstöd", {}, [
        ("IT-enheten", "IT-chef=Erik Sandberg", {
            "IT-tekniker=Ahmed Hassan": 1, "IT-tekniker": 3, "Systemförvaltare": 3,
            "IT-arkitekt": 1, "Konsult": 6}, []),
        ("Ekonomienheten", "Ekonomichef", {"Ekonom": 4, "Controller": 2, "Redovisningsekonom": 2,
                                           "Konsult": 1}, []),
        ("HR-enheten", "HR-chef", {"HR-specialist": 5, "Lönespecialist": 3}, []),
        ("Kommunikation", "Kommunikationschef", {"Kommunikatör": 4, "Webbredaktör": 1}, []),
    ]),
]
ELECTED: Unit = ("Förtroendevalda", None, {}, [
    ("Kommunfullmäktige", None, {"Ordförande": 1, "1:e vice ordförande": 1, "Ledamot": 6,
                                 "Ersättare": 2}, []),
    ("Kommunstyrelsen", None, {"Ordförande": 1, "Vice ordförande": 1, "Ledamot": 2,
                               "Ersättare": 1}, []),
])
BOARD: Unit = ("Styrelsen", None, {"Ordförande": 1, "Vice ordförande": 1, "Ledamot": 3}, [])
COMPANIES: list[tuple[str, list[Unit]]] = [
    ("Exempelby Bostäder AB", [
        ("Förvaltning", "Förvaltningschef", {"Fastighetsförvaltare": 3}, []),
        ("Uthyrning", "Uthyrningschef", {"Uthyrningshandläggare": 2,
                                         "Kundtjänstmedarbetare": 2}, []),
        ("Fastighetsservice", "Driftchef", {"Fastighetstekniker": 4}, []),
    ]),
    ("Exempelby Energi AB", [
        ("Elnät", "Elnätschef", {"Elnätstekniker": 3,
                                 "Informationssäkerhetssamordnare=Leila Öberg": 1}, []),
        ("Fjärrvärme", "Driftchef", {"Drifttekniker": 3}, []),
        ("Kundservice", "Kundservicechef", {"Kundtjänstmedarbetare": 4}, []),
    ]),
]


def ssha(password: str, salt_source: str) -> str:
    """OpenLDAP {SSHA}: base64(sha1(password + salt) + salt), salt fixed per entry."""
    salt = hashlib.sha256(f"exempelby-demo-salt:{salt_source}".encode()).digest()[:8]
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def ascii_uid(name: str) -> str:
    """'Östen Åberg' -> 'osten.aberg' (NFKD strips å/ä/ö/é/č to their base letters)."""
    text = unicodedata.normalize("NFKD", name.lower().replace(" ", ".", 1).replace(" ", "-"))
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in ".-"))


def fixed_names(units: list[Unit]) -> set[str]:
    """Names given explicitly as "Title=Given Surname" anywhere below these units."""
    names: set[str] = set()
    for _, manager, staff, children in units:
        names |= {role.partition("=")[2] for role in [manager or "", *staff] if "=" in role}
        names |= fixed_names(children)
    return names


class Directory:
    """Entries in output order (parents before children, as slapadd requires)."""

    def __init__(self) -> None:
        self.rng = random.Random(2026)
        self.entries: dict[str, dict[str, list[str]]] = {}  # dn -> attributes, insertion-ordered
        self.people: dict[str, str] = {}  # uid -> dn
        self.numbers: set[str] = set()
        self.fixed = fixed_names(KOMMUN_SECTORS + [u for _, us in COMPANIES for u in us])

    def add(self, dn: str, attrs: dict[str, list[str]], uid: str | None = None) -> str:
        # Stable operational id, like slapcat output: uuid5 of the uid (people) or of the DN.
        attrs["entryUUID"] = [str(uuid.uuid5(NAMESPACE, uid or "dn:" + dn.lower()))]
        self.entries[dn] = attrs
        return dn

    def ou(self, name: str, parent: str) -> str:
        return self.add(f"ou={name},{parent}", {"objectClass": ["top", "organizationalUnit"],
                                                "ou": [name]})

    def person(self, role: str, parent: str, org: str, etype: str, boss: str | None) -> str:
        title, _, name = role.partition("=")
        while not name or (name in self.fixed and "=" not in role):  # random, not a fixed one
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
        uid = base = ascii_uid(name)
        suffix = 1
        while uid in self.people:
            suffix += 1
            uid = f"{base}{suffix}"
        self.people[uid] = dn = f"uid={uid},{parent}"
        given, sn = name.split(" ", 1)
        attrs = {"objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson"],
                 "uid": [uid], "cn": [name], "displayName": [name], "givenName": [given],
                 "sn": [sn], "mail": [f"{uid}@{MAIL_DOMAINS[org]}"], "title": [title],
                 "o": [org], "employeeType": [etype], "userPassword": [ssha(DEMO_PASSWORD, uid)]}
        if etype in ("employee", "consultant"):  # elected and board: no number, no manager
            number = ""
            while not number or number in self.numbers:
                number = str(self.rng.randrange(100000, 1000000))
            self.numbers.add(number)
            attrs["employeeNumber"] = [number]
            if boss:
                attrs["manager"] = [boss]
        return self.add(dn, attrs, uid)

    def unit(self, unit: Unit, parent: str, org: str, boss: str | None,
             etype: str = "employee") -> str | None:
        name, manager_role, staff, children = unit
        dn = self.ou(name, parent)
        manager = self.person(manager_role, dn, org, etype, boss) if manager_role else boss
        for role, count in staff.items():
            for _ in range(count):
                self.person(role, dn, org, "consultant" if role == "Konsult" else etype, manager)
        for child in children:
            self.unit(child, dn, org, manager, etype)
        return manager


def build() -> Directory:
    d = Directory()
    d.add(SUFFIX, {"objectClass": ["top", "dcObject", "organization"],
                   "dc": ["exempelby"], "o": ["Exempelby"]})
    kommun = d.add(f"o={KOMMUN},{SUFFIX}", {"objectClass": ["top", "organization"], "o": [KOMMUN]})
    director = d.unit(KOMMUN_SECTORS[0], kommun, KOMMUN, None)  # Kommundirektör at the top
    for sector in KOMMUN_SECTORS[1:]:  # each sector chief reports to the Kommundirektör
        d.unit(sector, kommun, KOMMUN, director)
    d.unit(ELECTED, kommun, KOMMUN, None, "elected")
    for org, units in COMPANIES:
        org_dn = d.add(f"o={org},{SUFFIX}", {"objectClass": ["top", "organization"], "o": [org]})
        ceo = d.person("VD", org_dn, org, "employee", None)  # directly below the organization
        for unit in units:
            d.unit(unit, org_dn, org, ceo)
        d.unit(BOARD, org_dn, org, None, "board")

    people = {uid: d.entries[dn] for uid, dn in d.people.items()}
    assert director is not None
    people["karin.holm"]["manager"] = [director]  # the coordinator reports to the Kommundirektör
    consultants = [a for a in people.values() if a["employeeType"] == ["consultant"]]
    for attrs in consultants[-3:]:
        del attrs["mail"]  # consultants who only use their own company's address
    # Deliberately sloppy but equivalent DN: the portal must normalise case and spacing.
    maria = d.people["maria.nilsson"]
    sloppy = next(a for a in people.values() if a.get("manager") == [maria])
    sloppy["manager"] = ["UID=Maria.Nilsson, " + ", ".join(
        rdn.split("=")[0].upper() + "=" + rdn.split("=", 1)[1] for rdn in maria.split(",")[1:])]

    groups = d.ou("Grupper", SUFFIX)
    for cn, uids in (("LIS-samordnare", ["karin.holm", "leila.oberg"]),
                     ("Portaladministratörer", ["erik.sandberg", "ahmed.hassan"])):
        d.add(f"cn={cn},{groups}", {"objectClass": ["top", "groupOfNames"], "cn": [cn],
                                    "member": [d.people[u] for u in uids]})
    accounts = d.ou("Tjänstekonton", SUFFIX)
    d.add(f"cn=portal-sync,{accounts}", {
        "objectClass": ["top", "organizationalRole", "simpleSecurityObject"],
        "cn": ["portal-sync"], "description": ["LIS-portalens synkkonto (endast läsrätt)"],
        "userPassword": [ssha(SYNC_PASSWORD, "portal-sync")]})
    return d


def write(d: Directory, path: Path) -> None:
    out = io.StringIO()
    out.write(f"# Generated by demo/generate_ldif.py. Every person's password: {DEMO_PASSWORD}\n")
    writer = ldif.LDIFWriter(out, cols=76)
    for dn, attrs in d.entries.items():
        writer.unparse(dn, {k: [v.encode() for v in vals] for k, vals in attrs.items()})
    path.write_text(out.getvalue(), encoding="ascii", newline="\n")


def norm(dn: str) -> str:
    """Compare DNs the way the portal must: case-insensitive, no spaces around commas."""
    return ",".join(part.strip() for part in dn.split(",")).lower()


def check(path: Path) -> Counter[str]:
    """Parse the file back, verify parents, managers and employee numbers; return counts."""
    with path.open("rb") as f:
        parser = ldif.LDIFRecordList(f)
        parser.parse()
    seen: set[str] = set()
    people: dict[str, dict[str, list[bytes]]] = {}
    counts: Counter[str] = Counter(entries=len(parser.all_records))
    for dn, attrs in parser.all_records:
        assert dn == SUFFIX or norm(dn.split(",", 1)[1]) in seen, f"parent missing: {dn}"
        seen.add(norm(dn))
        counts["organizationalUnit"] += b"organizationalUnit" in attrs["objectClass"]
        if b"inetOrgPerson" in attrs["objectClass"]:
            people[norm(dn)] = attrs
            etype = attrs["employeeType"][0].decode()
            counts[f"people {etype}"] += 1
            counts[f"people in {attrs['o'][0].decode()}"] += 1
            assert ("employeeNumber" in attrs) == (etype in ("employee", "consultant")), dn
    for dn, attrs in people.items():
        for manager in attrs.get("manager", []):
            assert norm(manager.decode()) in people, f"{dn}: unknown manager {manager!r}"
    counts["people"] = len(people)
    return counts


if __name__ == "__main__":
    write(build(), OUTPUT)
    for key, value in sorted(check(OUTPUT).items()):
        print(f"{key}: {value}")
