"""What Resonanz shows and sends: the Streamlit pages (entry: app.py), plan exports and stakeholder digests."""
