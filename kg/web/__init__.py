"""The web layer of heritage-kg: the SPARQL endpoint and the pages served from the live store.

`kg.web.app.create_app(settings)` builds the FastAPI application; nothing is built at import time.
"""
