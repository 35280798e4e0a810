"""Verdicts: what a check says about one exercise, for people and for programs.

A verdict has a status, PASS, FAIL or TODO ("not done yet"), and one line of
text a student reads, in the shape

    central_difference: FAIL on f = sum(sin(x)), x = [0.5 1.2]: expected ..., got ... -- hint

In a notebook a verdict is displayed as a single output carrying two
representations: ``text/plain`` (what the student sees) and a JSON bundle under
`VERDICT_MIME_TYPE`, for tools that read notebooks. Front ends that do not
know the JSON type simply show the text. Grading never reads either: anyone
can display a verdict (see `autodidact.course.grading`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

VERDICT_MIME_TYPE = "application/vnd.autodidact.verdict+json"

PASS = "PASS"
FAIL = "FAIL"
TODO = "TODO"
STATUSES = (PASS, FAIL, TODO)


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one exercise.

    ``detail`` says what happened (the input tried, expected against got);
    ``hint`` says what is wrong, in words or maths; ``route``, the second
    hint level, is the formula or the way to the answer, when it was asked
    for. All are empty for a pass except for a short summary of what was tried.
    """

    exercise: str
    status: str
    detail: str = ""
    hint: str = ""
    route: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def text(self) -> str:
        """The one line a student reads."""
        if self.status == TODO:
            head = f"{self.exercise}: not done yet"
        elif self.status == PASS:
            head = f"{self.exercise}: PASS"
        else:
            head = f"{self.exercise}: FAIL"
        if self.detail:
            head += (" on " if self.status == FAIL else " -- ") + self.detail
        if self.hint:
            head += " -- " + self.hint
        if self.route:
            head += " -- further hint: " + self.route
        return head

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        keys = ("exercise", "status", "detail", "hint", "route")
        return cls(**{key: data.get(key, "") for key in keys})

    def __str__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {"text/plain": self.text, VERDICT_MIME_TYPE: self.to_json()}
