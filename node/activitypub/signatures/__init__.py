"""Signatures on ActivityPub traffic, one module per noun; import from the module you need.

* :mod:`.results` - ``Verified`` / ``Rejected`` and the reasons, shared with ``ldsig``;
* :mod:`.request` - the parts of a request a signature covers, and a parsed signature;
* :mod:`.verify` - parse a request's signature, check it without and with the key;
* :mod:`.cavage` and :mod:`.rfc9421` - the two HTTP signature specs (sign, parse, rebuild);
* :mod:`.algorithms` - the signature algorithms and which key fits which;
* :mod:`.digests` - ``Digest`` and ``Content-Digest``; :mod:`.dates` - HTTP dates.

Nothing here raises on hostile input: every header a remote party controls is parsed with
bounds, and every way to fail is a ``Failure`` with a message in ``FAILURE_MESSAGES``.
"""
