"""What runs beside student code: the sandbox worker, its statement runner, its confinement and
the plain-data wire format.

These files are copied into each sandbox and imported there without the grader: they import
only the standard library, numpy and each other (a test holds every module to that).
"""
