"""A whole class: batch grading and its report, the written answers' review pages and hand
scores.
"""
