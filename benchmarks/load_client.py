"""The client side of benchmarks/load_test.py: simulated people, each with its own cookie jar
and CSRF token, driven over a fixed number of HTTP connections for a fixed time.

Every request has a timeout; each connection is a thread with its own `http.client`
connection (keep-alive when the server allows it; gunicorn's sync workers close after every
response, so `http.client` reconnects). Posts are sent as the browser's HTMX sends them:
the form fields with the CSRF token, `HX-Request: true` and the `X-CSRFToken` header.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

TIMEOUT = 10.0  # seconds; a measured request that takes longer counts as failed
SIGN_IN_TIMEOUT = 60.0  # the first requests also wait for the workers to load the portal
LOCKED = b"database is locked"
TOKEN = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
TICK_NOTE = "Kontrollerat under lasttestet"


@dataclass
class Person:
    """A simulated person and the work they have left; the lists shrink as they post."""

    id: int
    acks: list[tuple[int, int]]  # (document id, current version id) still to acknowledge
    trainings: list[int]  # trainings still to confirm
    ticks: list[tuple[int, int]]  # (assignment id, item id) still to tick
    done_acks: list[tuple[int, int]] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    turn: int = 0


@dataclass
class Tally:
    """What one connection saw: latencies per kind, statuses, and the writes that got 2xx."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    not_2xx: Counter = field(default_factory=Counter)
    server_errors: int = 0
    locked: int = 0
    failed: Counter = field(default_factory=Counter)  # timeouts, refused connections
    acks: list[tuple[int, int]] = field(default_factory=list)  # (person, version)
    completions: list[tuple[int, int]] = field(default_factory=list)  # (training, person)
    ticks: list[tuple[int, int, int]] = field(default_factory=list)  # (assignment, item, by)

    def merge(self, other: Tally) -> None:
        for kind, values in other.times.items():
            self.times[kind].extend(values)
        self.not_2xx.update(other.not_2xx)
        self.failed.update(other.failed)
        self.server_errors += other.server_errors
        self.locked += other.locked
        self.acks += other.acks
        self.completions += other.completions
        self.ticks += other.ticks


class Connection:
    """One client connection to the server on 127.0.0.1."""

    def __init__(self, port: int, timeout: float = TIMEOUT) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def send(self, method: str, path: str, person: Person | None = None,
             form: dict[str, str] | None = None, htmx: bool = False) -> tuple[int, bytes]:
        headers: dict[str, str] = {}
        if person is not None and person.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx and person is not None:
            headers.update({"HX-Request": "true", "X-CSRFToken": person.token})
        try:
            self.http.request(method, path, body=body, headers=headers)
            response = self.http.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()  # the next request opens a fresh connection
            raise
        if person is not None:
            for header in response.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    person.cookies[name] = morsel.value
        return response.status, data

    def timed(self, tally: Tally, kind: str, method: str, path: str, person: Person | None,
              form: dict[str, str] | None = None) -> int:
        """Send, record latency and status under `kind`; 0 when there was no answer."""
        started = time.perf_counter()
        try:
            status, data = self.send(method, path, person, form, htmx=form is not None)
        except (OSError, http.client.HTTPException) as error:
            tally.failed[f"{kind}: {type(error).__name__}"] += 1
            return 0
        tally.times[kind].append(time.perf_counter() - started)
        if not 200 <= status < 300:
            tally.not_2xx[f"{kind} {status}"] += 1
        tally.server_errors += status >= 500
        tally.locked += LOCKED in data
        return status


def sign_in(connection: Connection, person: Person) -> None:
    """Demo sign-in as the browser does it; the CSRF token then comes from Mina uppgifter."""
    status, page = connection.send("GET", "/logga-in", person)
    match = TOKEN.search(page)
    if status != 200 or match is None:
        raise RuntimeError(f"sign-in page answered {status} without a CSRF token")
    status, _ = connection.send("POST", "/demo/logga-in", person, {
        "csrf_token": match.group(1).decode(), "person_id": str(person.id)})
    status, page = connection.send("GET", "/", person)
    match = TOKEN.search(page)
    if status != 200 or match is None:
        raise RuntimeError(f"person {person.id}: Mina uppgifter answered {status} after sign-in")
    person.token = match.group(1).decode()


def acknowledge(connection: Connection, tally: Tally, person: Person) -> bool:
    """Acknowledge the person's next document; False when none is left."""
    if not person.acks:
        return False
    document, version = person.acks.pop(0)
    status = connection.timed(tally, "POST kvittera", "POST", f"/dokument/{document}/kvittera",
                              person, {"csrf_token": person.token, "version_id": str(version),
                                       "confirm": "y"})
    if 200 <= status < 300:
        tally.acks.append((person.id, version))
        person.done_acks.append((document, version))
    return True


def acknowledge_again(connection: Connection, tally: Tally, person: Person) -> None:
    """Post an acknowledgement already given (idempotent: no row, no event)."""
    document, version = person.done_acks[person.turn % len(person.done_acks)]
    connection.timed(tally, "POST kvittera (again)", "POST", f"/dokument/{document}/kvittera",
                     person, {"csrf_token": person.token, "version_id": str(version),
                              "confirm": "y"})


def confirm_training(connection: Connection, tally: Tally, person: Person, day: str) -> None:
    training = person.trainings.pop(0)
    status = connection.timed(tally, "POST genomford", "POST", f"/utbildning/{training}/genomford",
                              person, {"csrf_token": person.token, "completed_on": day,
                                       "note": ""})
    if 200 <= status < 300:
        tally.completions.append((training, person.id))


def tick(connection: Connection, tally: Tally, person: Person) -> None:
    assignment, item = person.ticks.pop(0)
    prefix = f"item-{item}"
    status = connection.timed(tally, "POST punkt", "POST",
                              f"/checklista/{assignment}/punkt/{item}", person,
                              {"csrf_token": person.token, f"{prefix}-note": TICK_NOTE,
                               f"{prefix}-evidence_link": "", "do": "tick"})
    if 200 <= status < 300:
        tally.ticks.append((assignment, item, person.id))


def mixed_step(connection: Connection, tally: Tally, person: Person, day: str) -> bool:
    """Every other turn Mina uppgifter, in between the next post, rotating over the kinds
    of work the person has left; a person with no work left re-posts an acknowledgement
    (or, with none given, reads the page)."""
    person.turn += 1
    if person.turn % 2:
        connection.timed(tally, "GET / (Mina uppgifter)", "GET", "/", person)
        return True
    kinds = [("ack", person.acks), ("training", person.trainings), ("tick", person.ticks)]
    for offset in range(3):
        kind, left = kinds[(person.turn // 2 + offset) % 3]
        if left:
            if kind == "ack":
                acknowledge(connection, tally, person)
            elif kind == "training":
                confirm_training(connection, tally, person, day)
            else:
                tick(connection, tally, person)
            return True
    if person.done_acks:
        acknowledge_again(connection, tally, person)
    else:
        connection.timed(tally, "GET / (no work left)", "GET", "/", person)
    return True


def floor_step(connection: Connection, tally: Tally, _person: Person | None) -> bool:
    connection.timed(tally, "POST /_floor", "POST", "/_floor", None)
    return True


Step = Callable[[Connection, Tally, Person], bool]


def run_phase(port: int, seconds: float, groups: list[list[Person]], step: Step,
              timeout: float = TIMEOUT) -> tuple[Tally, float]:
    """One thread (connection) per group; each cycles over its people until the time is up
    or `step` says the whole group is out of work. Returns the merged tally and the time."""
    deadline = time.monotonic() + seconds
    tallies = [Tally() for _ in groups]

    def drive(people: list[Person], tally: Tally) -> None:
        connection = Connection(port, timeout)
        turn = 0
        while time.monotonic() < deadline:
            if not any(step(connection, tally, people[(turn + i) % len(people)])
                       for i in range(len(people))):
                return  # nobody in the group has work for this phase left
            turn += 1
        connection.http.close()

    threads = [threading.Thread(target=drive, args=(group, tally), daemon=True)
               for group, tally in zip(groups, tallies, strict=True)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * timeout)
    elapsed = time.monotonic() - started
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total, elapsed
