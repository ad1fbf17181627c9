"""Importers of a community's history (CSV files, exports) into the database."""
