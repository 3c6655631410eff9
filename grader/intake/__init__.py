"""Reading a submission: a folder, file, notebook or zip into programs of top-level statements.

Trusted, and shipped to students (their checks read work as the grader does). Imports nothing
else of the grader.
"""
