"""Trust: evidence from commitments, opinions, network reputation, forecasts, calibration.

Besides the five files of a context, `model.py` holds the pure math of DESIGN §2.
"""
