"""Offline evaluation of the alert rules on a simulated cohort: generator, replay and scoring, no database."""
