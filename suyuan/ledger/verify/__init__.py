"""Pure verification: RFC 9162 proofs, hash tiles, signed notes, checkpoints, receipts,
entry bytes and chain links, chain heads, bundles and statement signatures.

Nothing here imports the write side, a database, the web or signing code: an
inspector's offline verifier needs only a bundle and the log's public key.
"""
