"""Typed events: payloads, the lifecycle of goods, hard rules, capture, review tokens.

`payloads` (event types and their data), `lifecycle` (which state allows
which event), `rules` (rule codes, guards, soft signals), `capture` (the
transaction; `prepare`, `caller`, `atomic` and `handlers` are its parts),
`registration` (the register statements of goods requests), `tokens` and
`reviews` (review tokens).
"""
