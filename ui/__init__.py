"""Streamlit pages of the Resonanz app (entry: app.py)."""
