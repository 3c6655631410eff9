"""Public grading cases: students see them, and their failure messages show the values."""
