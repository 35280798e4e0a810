"""Teaching aids used by the notebooks: widgets, tables and plots.

Each module is one aid; the notebooks import them by name, e.g.
``from autodidact.teaching.finite_difference_widget import EpsilonExplorer``.
"""
