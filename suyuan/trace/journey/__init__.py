"""An item's journey — which chains make it, defined once — and what is read from it:
the public record, tracing, exports, bundles, the scan log and flags.
"""
