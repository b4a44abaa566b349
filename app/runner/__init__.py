"""Runners: where training happens. The web layer talks only to the Runner interface."""
