"""Credit (诚信): every party's integrity record, kept on its own chain.

Credit events are ledger entries on the party's key (`chainkey`): pledges
(`pledges`), complaints from hotlines and shoppers (`complaints`), pledge
breaches, failed inspections and recalls of its goods (`marks`), risk warnings
(`warnings`), the dishonesty list (`dishonesty`) and credit repair
(`repairs`). The events room applies them (`suyuan.trace.events.handlers.credit`)
through the functions here, in capture's transaction; `score` turns the record
and the upheld findings (`findings`) into a score and a level A-D, and `record`
reads what the public sees. The tables (`models`) are projections of the
ledger; nothing is deleted: a repair is a new event that resolves old ones.
"""
