"""What leaves the repository: stubs and the notebook generated from the references, the
student bundle and the Gradescope autograder zip.
"""
