"""The students' own checks: the public cases run on their work in their own process, read
and run as the grader reads and runs it. Shipped to students.
"""
