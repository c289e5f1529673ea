"""Benchmarks of jobmon.transition_task_instance(); run them with `python -m benchmarks --help`."""
