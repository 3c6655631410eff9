"""CS2109s Tutorial 9 grader."""
