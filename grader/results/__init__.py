"""Outcomes to scores to files: scoring (pure), and the output formats (Gradescope, JUnit,
GitHub Classroom, Markdown).
"""
