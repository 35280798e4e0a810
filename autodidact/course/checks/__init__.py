"""One module of checks per sheet.

Each module registers its checks with `autodidact.course.checking.exercise_check`;
`autodidact.course.checking.load_all_checks` imports every module here, so a
new sheet only needs a new module.
"""
