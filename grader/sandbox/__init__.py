"""The trusted supervisor of one sandboxed worker: isolation levels, the workspace, resource
limits, CPU-time accounting and kills, and the fork server that starts workers warm.
"""
