"""The people list of a follow-up page (documents and trainings alike), as the query string
asks for it: only those not done (`visa=alla` for everyone), one organization or sector
(`organisation`, `sektor`: the labels the tallies link with), the first rows (`alla=1`)."""

from __future__ import annotations

from typing import Any

from flask import request

from app.services.audience_report import AudienceReport

# Thousands of rows make a page nobody reads; the CSV and "alla=1" have them all.
LIST_LIMIT = 250


def people_list(report: AudienceReport) -> dict[str, Any]:
    """The template context for `_macros/follow_up.html`'s members_header and the table."""
    only_missing = request.args.get("visa", "") != "alla"
    organization, sector = request.args.get("organisation", ""), request.args.get("sektor", "")
    members = [m for m in report.only(organization, sector)
               if not only_missing or m.done_at is None]
    shown = members if request.args.get("alla") == "1" else members[:LIST_LIMIT]
    return {"only_missing": only_missing, "organization": organization, "sector": sector,
            "members": members, "shown": shown}
