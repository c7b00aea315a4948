"""Runners: each takes a compiled program and evaluates it; all must agree with the interpreter."""
