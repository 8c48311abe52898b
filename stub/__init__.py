"""Offline Anthropic Messages API stub for the real ``claude`` CLI (tests and the demo model).

``python -m stub`` serves it; :func:`stub.server.create_app` builds the ASGI app;
:class:`stub.runner.StubServer` runs it in a thread; :mod:`stub.script` holds the ``@stub``
directives and how main requests are told apart from the CLI's side requests.
"""
