"""Uploads: reading files, formats, validation, preview, jobs and publishing through the store."""
