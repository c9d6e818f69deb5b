"""The bundled demo blogosphere: content, themes and the web server that serves it."""
