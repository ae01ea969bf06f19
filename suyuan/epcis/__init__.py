"""GS1 EPCIS 2.0 / CBV 2.0 over the ledger: capture, query and export the GS1 way.

`identifiers` (EPC URNs and Digital Link URIs to ledger keys and back),
`vocabulary` (event types, CBV bizSteps and dispositions), `kept` (content
kept verbatim: numbers, namespaces), `mapping` (EPCIS events to typed or
generic `epcis` statements), `render` (statements back to EPCIS events),
`eventhash` (the CBV 2.0 event hash), `schema` (GS1's JSON schema, shipped
beside this file), `capture` (through suyuan's own capture), `jobs` and
`service` (capture jobs in the server), `models` and `index` (the query index
over the ledger), `query` (SimpleEventQuery), `document` (query and journey
documents). Imports the domain, the ledger and codes; nothing of the web.
"""
