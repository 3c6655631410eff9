"""Calling the student's code, once for both places it runs: the `student` object the cases
use, what crosses a call (plain data, the contract, the CPU-time limit) and how a failed call
is classified and worded. A backend runs the code: the sandboxed session when grading
(grader/grading/session.py), the student's own process for the public checks
(grader/selfcheck/inprocess.py). Shipped to students; imports nothing of either backend.
"""
