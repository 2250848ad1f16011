"""Spillover studies: one event measured across a network of firms with roles (``[roles]``).

* :mod:`.roles`: which ticker has which role in which event;
* :mod:`.measure`: the event x ticker matrix (CAR, t, p, BH q), the per-role cross-event tests
  (clustering-robust) and calendar-time portfolios, and the market-wide controls;
* :mod:`.verdict`: the answer's sentences, generated from those numbers.
"""
