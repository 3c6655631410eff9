"""Reference solutions of the attention exercise set (examples/attention/problems.yaml)."""
