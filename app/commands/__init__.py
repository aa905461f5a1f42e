"""Command groups of the follow-up: `reminders` and `snapshots`."""
