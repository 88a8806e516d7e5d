"""E-mail from the node, when the operator configures ``SOLNODE_SMTP_URL``: messages are queued
in the sender's transaction and sent by the ``mail`` job (node/wiring.py job_registry())."""
