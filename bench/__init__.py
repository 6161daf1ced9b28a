"""The benchmark harness (`make bench`): seeding, serving, load and the figures table."""
