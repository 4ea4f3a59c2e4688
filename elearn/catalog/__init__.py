"""The course catalog: courses/ validated, versioned and loaded into the database."""
