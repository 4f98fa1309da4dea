"""What a validation reports: one `ValidationResult` per validation, with typed findings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Finding:
    """One difference (or, for column/schema validations, one compared item)."""

    status: str  # success | fail | mismatch | missing | extra
    key: dict[str, Any] | None = None  # row key, or group key
    column: str | None = None
    check: str | None = None  # aggregate name, or schema aspect
    source: Any = None
    target: Any = None
    difference: str | None = None
    severity: str | None = None  # schema findings: error | warning | info

    def as_dict(self) -> dict[str, Any]:
        keep = ("source", "target") if self.status == "mismatch" or self.check else ()
        return {k: v for k, v in asdict(self).items() if v is not None or k in keep}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The inverse of `as_dict` (values stay as JSON gave them: decimals are strings)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ValidationResult:
    name: str
    kind: str  # row | column | schema | custom-query-row | custom-query-column
    source_table: str
    target_table: str
    passed: bool = True
    summary: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    truncated: int = 0  # findings not listed (beyond --max-differences)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # why the validation could not run (the run went on without it)
    error_kind: str | None = None  # "config" (e.g. no usable key) or "database"
    skipped: str | None = None  # why this validation was deliberately not run (it passes)
    run_id: str | None = None  # one per dvt invocation
    labels: dict[str, str] = field(default_factory=dict)  # --label KEY=VALUE of the run

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if self.skipped is not None:
            return "skipped"
        return "success" if self.passed else "fail"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "source_table": self.source_table,
            "target_table": self.target_table,
            "status": self.status,
            "summary": self.summary,
            "findings": [f.as_dict() for f in self.findings],
            "findings_not_listed": self.truncated,
            "warnings": self.warnings,
            **(
                {"error": self.error, "error_kind": self.error_kind}
                if self.error is not None
                else {}
            ),
            **({"skipped": self.skipped} if self.skipped is not None else {}),
            **({"run_id": self.run_id} if self.run_id is not None else {}),
            **({"labels": self.labels} if self.labels else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationResult:
        """The inverse of `as_dict`: a result as `--format json` wrote it."""
        status = data.get("status")
        if status not in ("success", "fail", "error", "skipped"):
            raise ValueError(f"not a dvt result (status {status!r})")
        return cls(
            name=data["name"],
            kind=data["kind"],
            source_table=data["source_table"],
            target_table=data["target_table"],
            passed=status in ("success", "skipped"),
            summary=dict(data.get("summary") or {}),
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            truncated=int(data.get("findings_not_listed") or 0),
            warnings=list(data.get("warnings") or []),
            error=data.get("error"),
            error_kind=data.get("error_kind"),
            skipped=data.get("skipped"),
            run_id=data.get("run_id"),
            labels=dict(data.get("labels") or {}),
        )
