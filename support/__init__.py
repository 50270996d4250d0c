"""The support console: server-rendered pages for support staff."""
