"""Trusted verdicts on what student code returned: the `expect` comparisons the cases call,
coercion of returned values, how arrays differ, misconception hints and their wording, and
the call contracts. Shipped to students (their public checks use the same verdicts).
"""
