"""Measurements taken from trained models and from task samples."""
