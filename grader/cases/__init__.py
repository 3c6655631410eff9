"""The grading cases: pytest files run by the grader (trusted, with its plugin) or by students.

public/ holds the cases students see and can run themselves; hidden/ the ones only the grader
runs. conftest.py provides the `student` and `expect` fixtures for in-process runs.
"""
