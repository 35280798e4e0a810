"""Sphinx configuration of the course site, built by `make site` into build/site/.

`autodidact.course.site` copies the lectures (notebooks/) and the student
sheets (exercises/) into a staging folder with a generated index page and
runs Sphinx on it with this file. Everything the pages need ships with the
site: the notebooks' stored outputs (nothing is executed), the search index,
and MathJax (`autodidact.course.site_mathjax`), so the site builds and reads
without a network.
"""

project = "autodidact"
author = "the autodidact authors"
copyright = "the autodidact authors"
html_title = "autodidact"

extensions = ["myst_nb", "autodidact.course.site_mathjax"]
root_doc = "index"
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The pages show the outputs stored in the notebooks, as `autodidact run-notebooks` made them.
nb_execution_mode = "off"
# No widget JavaScript from the network: each widget cell stores a picture of its
# first state beside the widget, and that picture is what the site shows.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
# The check verdicts in 00_start_here are of the course's own type
# (application/vnd.autodidact.verdict+json); the site shows their text form.
suppress_warnings = ["mystnb.unknown_mime_type"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# The sheets' "```python" blocks and the lectures' cells are all Python.
highlight_language = "python3"

html_theme = "furo"
html_static_path = []
html_copy_source = False
html_show_sourcelink = False
