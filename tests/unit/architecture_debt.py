"""What today's code still owes the architecture contract (tests/unit/test_architecture.py).

Each list only shrinks: mend an entry, then delete it here.
"""

from __future__ import annotations

# importer -> a module of a higher layer
UPWARD_IMPORTS = frozenset(
    {
        "node.api.errors -> node.features.participation.handlers",
        "node.context -> node.federation.http",
        "node.features.bridges.cli -> node.cli",
        "node.features.moderation.cli -> node.cli",
        "node.features.networks.cli -> node.cli",
        "node.federation.inbox.process -> node.features.follows.handlers",
        "node.federation.inbox.process -> node.features.interactions.handlers",
        "node.federation.inbox.process -> node.features.moderation.flags",
        "node.federation.inbox.process -> node.features.networks.handlers",
        "node.federation.inbox.process -> node.features.participation.handlers",
        "node.federation.inbox.routes -> node.web.render",
    }
)

# one feature reaching into another it does not declare
UNDECLARED_FEATURE_USES = frozenset(
    {
        "node.features.follows.handlers -> node.features.networks.handlers",
        "node.features.interactions.handlers -> node.features.networks.aggregation",
        "node.features.participation.handlers -> node.features.networks.handlers",
        "node.features.publishing.notes -> node.features.networks.relay_subscriptions",
        "node.features.publishing.pages -> node.features.participation.handlers",
        "node.features.publishing.service.items -> node.features.networks.relay_subscriptions",
        "node.features.publishing.service.items -> node.features.participation.handlers",
    }
)

# modules importing each other, directly or round a loop
MODULE_CYCLES = frozenset(
    {
        "node.cli <-> node.features.bridges.cli <-> node.features.moderation.cli <-> node.features.networks.cli",
    }
)

# packages importing each other
PACKAGE_CYCLES = frozenset(
    {
        "node.api <-> node.cli <-> node.features.bridges <-> node.features.follows <-> node.features.interactions <-> node.features.moderation <-> node.features.networks <-> node.features.participation <-> node.features.publishing <-> node.features.publishing.service <-> node.federation.inbox",
    }
)

# imports inside functions with no reason given
FUNCTION_LEVEL_IMPORTS = frozenset(
    {
        "node.cli.demo:node.features.networks.membership.join",
        "node.cli:html",
        "node.cli:node.api.tokens.UserError",
        "node.cli:node.api.tokens.create_token",
        "node.cli:node.api.tokens.create_user",
        "node.cli:node.app.create_app",
        "node.cli:node.cli.demo.load_demo",
        "node.cli:node.context.NodeContext",
        "node.cli:node.db.make_engine",
        "node.cli:node.db.session_scope",
        "node.cli:node.features.bridges.cli",
        "node.cli:node.features.follows.approval.FollowerError",
        "node.cli:node.features.follows.approval.decide",
        "node.cli:node.features.follows.approval.list_followers",
        "node.cli:node.features.follows.following.FollowError",
        "node.cli:node.features.follows.following.follow",
        "node.cli:node.features.follows.following.unfollow",
        "node.cli:node.features.moderation.cli",
        "node.cli:node.features.networks.cli",
        "node.cli:node.features.publishing.notes.publish_note",
        "node.cli:node.federation.actors.local.ActorError",
        "node.cli:node.federation.actors.local.create_actor",
        "node.cli:node.federation.actors.local.ensure_instance_actor",
        "node.cli:node.federation.actors.local.get_actor",
        "node.cli:node.federation.jobs",
        "node.cli:node.federation.remote.actors.RemoteActorError",
        "node.cli:node.federation.worker.Worker",
        "node.cli:node.federation.worker.default_registry",
        "node.cli:node.federation.worker.install_signal_handlers",
        "node.cli:node.migrations",
        "node.cli:os",
        "node.cli:sqlalchemy.exc.OperationalError",
        "node.cli:sqlmodel.Session",
        "node.cli:uvicorn",
        "node.context:node.__version__",
        "node.context:node.federation.http.HttpClient",
        "node.features.bridges.cli:node.features.bridges.murmurations",
        "node.features.follows.api:node.federation.remote.actors.RemoteActorError",
        "node.features.follows.approval:node.federation.outbox",
        "node.features.follows.following:node.federation.outbox",
        "node.features.follows.following:node.federation.remote.actors",
        "node.features.follows.handlers:node.federation.actors.documents.actor_id",
        "node.features.follows.handlers:node.federation.outbox",
        "node.features.follows.handlers:node.federation.remote.actors",
        "node.features.interactions.handlers:node.federation.inbox.receive.forget_keys",
        "node.features.interactions.handlers:node.federation.remote.actors",
        "node.features.interactions.handlers:node.federation.remote.actors.FetchBudget",
        "node.features.moderation.cli:node.features.moderation.actions.allow_domain",
        "node.features.moderation.cli:node.features.moderation.actions.block_actor",
        "node.features.moderation.cli:node.features.moderation.actions.block_domain",
        "node.features.moderation.cli:node.features.moderation.actions.disallow_domain",
        "node.features.moderation.cli:node.features.moderation.actions.open_reports",
        "node.features.moderation.cli:node.features.moderation.actions.resolve_report",
        "node.features.moderation.cli:node.features.moderation.actions.unblock_actor",
        "node.features.moderation.cli:node.features.moderation.actions.unblock_domain",
        "node.features.moderation.cli:node.features.moderation.blocklist.BlocklistError",
        "node.features.moderation.cli:node.features.moderation.blocklist.import_blocklist",
        "node.features.moderation.cli:node.features.moderation.blocklist.parse_mastodon_csv",
        "node.features.moderation.cli:node.features.moderation.blocklist.read_blocklist",
        "node.features.moderation.cli:node.features.moderation.reports.send_report",
        "node.features.moderation.cli:node.federation.remote.actors.RemoteActorError",
        "node.features.moderation.reports:node.federation.actors.local.get_instance_actor",
        "node.features.moderation.reports:node.federation.outbox",
        "node.features.moderation.reports:node.federation.remote.actors",
        "node.features.networks.aggregation:node.federation.inbox.embedded.from_origin",
        "node.features.networks.aggregation:node.federation.inbox.embedded.inner_object",
        "node.features.networks.aggregation:node.federation.remote.actors.FetchBudget",
        "node.features.networks.aggregation:node.federation.remote.actors.RemoteActorError",
        "node.features.networks.aggregation:node.federation.remote.fetch.is_local",
        "node.features.networks.api:node.federation.policy.DomainError",
        "node.features.networks.api:node.federation.remote.actors.RemoteActorError",
        "node.features.networks.backfill:node.federation.remote.actors",
        "node.features.networks.cli:anyio.to_thread",
        "node.features.networks.cli:node.cli._ensure_instance",
        "node.features.networks.cli:node.db.session_scope",
        "node.features.networks.cli:node.features.networks.membership.MembershipError",
        "node.features.networks.cli:node.features.networks.membership.admit",
        "node.features.networks.cli:node.features.networks.membership.join",
        "node.features.networks.cli:node.features.networks.membership.leave",
        "node.features.networks.cli:node.features.networks.membership.members",
        "node.features.networks.cli:node.features.networks.membership.memberships",
        "node.features.networks.cli:node.features.networks.membership.remove",
        "node.features.networks.cli:node.features.networks.relay_subscriptions.RelayError",
        "node.features.networks.cli:node.features.networks.relay_subscriptions.add_relay",
        "node.features.networks.cli:node.features.networks.relay_subscriptions.list_relays",
        "node.features.networks.cli:node.features.networks.relay_subscriptions.remove_relay",
        "node.features.networks.cli:node.features.networks.rules.RulesError",
        "node.features.networks.cli:node.features.networks.rules.block_domain",
        "node.features.networks.cli:node.features.networks.rules.hide_item",
        "node.features.networks.cli:node.features.networks.rules.load_rules",
        "node.features.networks.cli:node.features.networks.rules.log_entries",
        "node.features.networks.cli:node.features.networks.rules.set_rules",
        "node.features.networks.cli:node.features.networks.rules.unblock_domain",
        "node.features.networks.cli:node.federation.policy.DomainError",
        "node.features.networks.cli:node.federation.policy.normalize_domain",
        "node.features.networks.cli:node.federation.remote.actors.RemoteActorError",
        "node.features.networks.cli:node.models.networks.NetworkItem",
        "node.features.networks.cli:sqlmodel.Session",
        "node.features.networks.cli:sqlmodel.col",
        "node.features.networks.cli:sqlmodel.select",
        "node.features.networks.filing:node.features.networks.relay_subscriptions.relay_inboxes",
        "node.features.networks.filing:node.federation.outbox",
        "node.features.networks.filing:node.federation.outbox.signing.sign_public_activity",
        "node.features.networks.forward:node.federation.outbox",
        "node.features.networks.handlers:node.features.networks.relay_subscriptions",
        "node.features.networks.handlers:node.federation.remote.actors",
        "node.features.networks.membership:node.features.follows.following.FollowError",
        "node.features.networks.membership:node.features.follows.following.follow",
        "node.features.networks.membership:node.features.follows.following.unfollow",
        "node.features.networks.membership:node.features.networks.backfill.backfill",
        "node.features.networks.membership:node.federation.outbox",
        "node.features.networks.membership:node.federation.remote.actors",
        "node.features.networks.profiles:node.content.essglobal",
        "node.features.networks.relay_subscriptions:node.federation.outbox",
        "node.features.networks.relay_subscriptions:node.federation.remote.actors",
        "node.features.networks.rules:node.federation.outbox",
        "node.features.networks.rules:node.federation.outbox.signing.sign_public_activity",
        "node.features.participation.handlers:node.features.networks.handlers",
        "node.features.participation.handlers:node.federation.outbox",
        "node.features.profiles.editing:node.federation.outbox",
        "node.features.publishing.notes:node.features.networks.relay_subscriptions.relay_inboxes",
        "node.features.publishing.notes:node.federation.outbox",
        "node.features.publishing.service.items:node.features.networks.relay_subscriptions.relay_inboxes",
        "node.features.publishing.service.items:node.federation.outbox",
        "node.federation.authorized_fetch:node.federation.remote.actors",
        "node.federation.inbox.embedded:node.federation.remote.actors",
        "node.federation.inbox.forwarded:node.federation.remote.actors",
        "node.federation.inbox.process:node.federation.remote.actors.RemoteActorError",
        "node.federation.inbox.receive:node.federation.remote.actors",
        "node.federation.outbox.fanout:node.federation.remote.actors.get_remote_actor",
        "node.federation.outbox.fanout:node.federation.remote.actors.inbox_for",
        "node.federation.outbox:node.federation.outbox.signing.sign_as_sender",
        "node.settings:node.ratelimit.LimitError",
        "node.settings:node.ratelimit.parse_limit",
        "node.web.messages:node.content.i18n.language_name",
    }
)

# route modules imported below the composition root
ROUTE_IMPORTS = frozenset(
    {
        "node.features.feeds.routes imports route module node.features.publishing.pages",
    }
)

# modules over 400 lines
LONG_MODULES = frozenset(
    {
        "node.activitypub.ldsig",
        "node.activitypub.signatures",
        "node.cli",
        "node.content.events",
        "node.federation.http",
        "node.federation.remote.actors",
    }
)

# functions over 60 lines
LONG_FUNCTIONS = frozenset(
    {
        "node.activitypub.bounds.check",
        "node.api.openapi._follow_paths",
        "node.api.openapi._other_paths",
        "node.cli.build_parser",
        "node.content.events.event_object",
        "node.content.fields.validate.validate_event",
        "node.features.networks.cli.add_commands",
        "node.features.publishing.pages.render_item",
        "node.federation.actors.documents.actor_document",
        "node.federation.inbox.receive.receive",
        "node.settings.load_settings",
    }
)

# module:call pairs allowed at import time (pure constructors of this project)
IMPORT_TIME_CALLS_ALLOWED = frozenset(
    {
        "node.api.openapi_schemas:IMAGE_TYPES.values",
        "node.api.openapi_schemas:essglobal.schemes",  # reads package data at import time
        "node.features.feeds.entries:ICAL_STATUS.values",
        "node.federation.inbox.forwarded:jsonld.Limits",
        "node.federation.inbox.process:RetryPolicy",
        "node.migrations.env:config.attributes.get",  # Alembic runs env.py to migrate
    }
)
