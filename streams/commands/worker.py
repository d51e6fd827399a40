"""``wirestream worker``: check the broker and the grants, create the topics, then run the faust
worker until a signal. The faust side lives in :mod:`streams.worker.run`: no command imports
faust itself."""

from streams.worker.run import run_worker

__all__ = ["run_worker"]
