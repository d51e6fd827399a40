"""The faust shell around the core: the only package of wirestream that imports faust.

- :mod:`.app`: the faust App, its topics and table, and the agents (:func:`build_worker`);
- :mod:`.stages`: what each agent does with a message, as plain processors (decode, call the
  core, publish, count) that component tests drive without a broker;
- :mod:`.policies`: what a bug does to its item; :mod:`.pool`: the core off the event loop;
- :mod:`.ops`: readiness, lag, ops metrics, watchlist reloads and the web pages;
- :mod:`.commit_when_idle`: exactly-once commits at low load;
- :mod:`.patches`: the fixes to faust-streaming, behind one version gate.
"""
