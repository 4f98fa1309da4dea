"""Settings inside a transaction block, kept as PostgreSQL keeps them.

A SET in a block is undone by ROLLBACK (and by a COMMIT of a failed block); a SET LOCAL lasts
until the block ends, however it ends; ROLLBACK TO SAVEPOINT undoes both back to the
savepoint. Pure bookkeeping: the session applies the values this module gives back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BlockSettings:
    start: dict[str, str]  # every setting as the block found it
    kept: dict[str, str] = field(default_factory=dict)  # plain SET/RESET: what COMMIT keeps
    local: set[str] = field(default_factory=set)  # SET LOCAL: undone at any end

    def record(self, key: str, text: str, local: bool) -> None:
        if local:
            self.local.add(key)
        else:
            # a later plain SET is the session's value again, past the block
            self.kept[key] = text
            self.local.discard(key)

    def after_commit(self) -> dict[str, str | None]:
        """key → its value once COMMIT ends the block (None: a custom setting the block
        created, gone again)."""
        return {key: self.kept.get(key, self.start.get(key)) for key in self.local}

    def after_rollback(self, current: dict[str, str]) -> dict[str, str | None]:
        """key → its value once ROLLBACK ends the block: each one changed goes back."""
        return {
            key: self.start.get(key)
            for key in set(current) | set(self.start)
            if current.get(key) != self.start.get(key)
        }

    def mark(self, current: dict[str, str]) -> SettingsMark:
        return SettingsMark(dict(current), dict(self.kept), set(self.local))

    def back_to(self, mark: SettingsMark, current: dict[str, str]) -> dict[str, str | None]:
        """ROLLBACK TO SAVEPOINT: the bookkeeping as it was at `mark`; key → value to restore."""
        self.kept, self.local = dict(mark.kept), set(mark.local)
        return {
            key: mark.settings.get(key)
            for key in set(current) | set(mark.settings)
            if current.get(key) != mark.settings.get(key)
        }


@dataclass(frozen=True)
class SettingsMark:
    """The settings at a savepoint."""

    settings: dict[str, str]
    kept: dict[str, str]
    local: set[str]
