"""Tests against real processes: gunicorn workers over HTTP, commands killed mid-way."""
