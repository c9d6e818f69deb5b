"""One module per app page, each with a `render()` function."""
