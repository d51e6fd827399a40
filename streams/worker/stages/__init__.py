"""What each agent does with one message, with no faust object in sight.

- :mod:`.prepare` (stage 1 of the split topology): decode, the stateless core, hand over;
- :mod:`.decide` (stage 2): the dedupe decision, then publish or count the duplicate;
- :mod:`.single` (the single topology): both in one agent;
- :mod:`.handoff`: the record between stages 1 and 2;
- :mod:`.base`: what they share (message view, publisher, dead letters, counting).
"""
