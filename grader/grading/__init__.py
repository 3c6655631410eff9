"""Grading one submission: its hidden and public cases run in the trusted process against the
references, with the student's functions called through a sandboxed session.
"""
