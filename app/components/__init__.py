"""Custom Streamlit components, their JavaScript and CSS shipped in this folder (no build step)."""
