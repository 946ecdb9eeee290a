"""The MCP front end: tools for agents over the service layer (``prp mcp``, or mounted on the API).

May import: the composition root, service, intake (request models), core, errors, settings.
"""
