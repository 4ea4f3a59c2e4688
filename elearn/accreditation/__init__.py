"""Accredited activities, learners' professional identity, the record ledger, register exports."""
