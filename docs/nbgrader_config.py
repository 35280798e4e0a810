# nbgrader configuration for a course run from the autodidact kit: put this file at the top
# of the nbgrader course folder (next to source/). See docs/instructors.md.
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "autodidact"

# A check cell the student deleted is put back, from the instructor's copy, before grading.
c.OverwriteCells.add_missing_cells = True

# Seconds each cell may run while autograding; an endless loop costs that much, then the
# cell earns nothing and grading goes on with the next one.
c.Execute.timeout = 120
