"""The demo story (`suyuan demo`): a seafood journey from catch to review, crystal, rice,
two couriers, a brushing order and a recall.
"""
