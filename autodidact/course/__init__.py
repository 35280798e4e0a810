"""The course machinery: exercise checks, student sheets and the `autodidact` command.

A student meets this package in two places:

* the check cell after every exercise, ``check("central_difference", central_difference)``,
  which prints a short verdict (PASS, FAIL with the input tried and a hint, or
  "not done yet");
* the ``autodidact`` command: ``autodidact start`` copies fresh sheets into
  ``workspace/``, ``autodidact check 01`` runs a sheet and prints a table of
  verdicts, ``autodidact reset 01`` restores a fresh sheet after backing up
  the old one.

An instructor edits ``solutions/``, runs ``autodidact make-exercises`` (which
also stamps the sheets with their nbgrader metadata) and trusts the checks,
which are tested against the solutions, the stubs and plausible wrong
answers; ``autodidact grade`` (or nbgrader) grades a class with them. See
``docs/instructors.md``.
"""

from autodidact.course.checking import check, run_check
from autodidact.course.verdicts import Verdict

__all__ = ["check", "run_check", "Verdict"]
