"""Hidden grading cases: failure messages say what is wrong, never the inputs or answers."""
