"""Engines that drive runs somewhere other than the calling process.

The local engine is `seamline.runtime`: the run is driven by the process that started it
(or resumed it). `seamline.engines.temporal` drives it as a Temporal workflow, with the
same plan, reducer and decisions, its attempts made by activities on any worker.
"""
