"""The workspace: where the staff of organizations and networks sign in, and the kit every
page under ``/workspace/{slug}/…`` is built with.

The contract (other features build on it; keep it stable):

* ``@staff_page(role="editor" | "admin")`` (node/features/workspace/desk.py) turns
  ``handler(desk)`` (sync or async) into a Starlette endpoint that: redirects to
  ``/workspace/sign-in?next=…`` without a signed-in session; loads the ``LocalActor`` of
  ``{slug}`` and the person's role for it (node admins are ``admin`` everywhere), answering
  **404** when the person has no role there (or there is no such actor: the same answer),
  **403** when the role is below ``role``; reads the form of every non-GET request and refuses
  it with **403** unless its ``csrf`` field is the session's token. The endpoint carries
  ``workspace_role`` (tests enumerate the routes and try each as someone else's staff).
* The :class:`~node.features.workspace.desk.Desk` it hands over has: ``request``, ``node``
  (the NodeContext), ``engine``, ``user`` (``id``, ``email``, ``is_node_admin``), ``actor``,
  ``role``, ``csrf_token``, ``form`` (the posted FormData, None on GET), ``field(name)``,
  ``lang`` (the page's language) and ``gettext(N_("..."), **values)`` (words chosen in code, in
  that language),
  ``base`` (``/workspace/{slug}``), ``render(template, status=200, **context)`` (a template
  extending ``workspace/base.html``: navigation of node/features/workspace/nav.py ``SECTIONS``,
  the actors the person works for, sign out) and ``redirect(path="", done="saved")`` (303 to
  a page of this actor; ``?done=KEY`` shows ``nav.DONE_MESSAGES[KEY]`` once).
* Routes: append yours to ``routes()`` in node/features/workspace/routes.py (node/wiring.py
  includes it). Every form posts a hidden ``csrf`` field: ``{{ csrf_token }}``.

Example (a page listing an actor's followers; template ``workspace/followers.html`` starts
with ``{% extends "workspace/base.html" %}`` and fills ``{% block main %}``)::

    @staff_page(role="editor")
    def followers(desk: Desk) -> Response:
        with Session(desk.engine) as session:  # a page of 50, by cursor, never all of them
            page = follower_pages.window(session, desk.actor.id or 0, ("accepted",), limit=50)
        return desk.render("workspace/followers.html", followers=page.rows)

    @staff_page(role="admin")
    def remove_follower(desk: Desk) -> Response:
        remove(desk.engine, desk.actor, desk.field("follower_id"))  # form checked for CSRF
        return desk.redirect("/followers", done="saved")

    # routes.py:  Route("/workspace/{slug}/followers", followers.followers),
    #             Route("/workspace/{slug}/followers/remove", followers.remove_follower,
    #                   methods=["POST"]),
"""
