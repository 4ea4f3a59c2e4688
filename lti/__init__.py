"""LTI 1.3 / LTI Advantage for the tool, over pylti1p3.

Knows the IMS claims and message types and nothing of elearn: it takes a SQLAlchemy session
and a Flask request, and returns plain dataclasses.
"""
