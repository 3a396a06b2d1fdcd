"""The whole world built in order: people, SIMs, cards, cells, units, then the gangs planted among them.

Separate from ``world.py`` (the world's state and its innocent population) and ``fraud.py`` (the gangs), which
this module composes, so that neither of them imports the other's builder.
"""

from __future__ import annotations

from datetime import date

from simulator.clock import Clock, rng_for
from simulator.config import SimConfig
from simulator.fraud import link_gang_phones, plant_gangs
from simulator.world import (
    Cards,
    Sims,
    World,
    build_behaviour,
    build_cards,
    build_cells,
    build_contacts,
    build_people,
    build_sims,
    build_units,
    gang_shutdown,
    holder_phones,
    lifecycle_events,
)


def build_world(seed: int, scale: float, epoch: date, config: SimConfig) -> World:
    """Build the whole world deterministically."""
    w = World(seed=seed, scale=scale, epoch=epoch, config=config, clock=Clock(epoch))
    n_target = max(200, round(config.people_per_scale * scale))
    build_people(w, rng_for(seed, "world", "people"), n_target)
    sims, cards = Sims(), Cards()
    build_sims(w, rng_for(seed, "world", "sims"), sims)
    build_cards(w, rng_for(seed, "world", "cards"), cards)
    build_cells(w, rng_for(seed, "world", "cells"))
    build_units(w, rng_for(seed, "world", "units"))
    plant_gangs(w, rng_for(seed, "world", "gangs"), sims, cards)
    sims.finish(w)
    cards.finish(w)
    holder_phones(w, rng_for(seed, "world", "phones"))
    link_gang_phones(w, rng_for(seed, "world", "gang-phones"))
    build_behaviour(w, rng_for(seed, "world", "behaviour"))
    build_contacts(w, rng_for(seed, "world", "contacts"))
    lifecycle_events(w, rng_for(seed, "world", "lifecycle"))
    for g in w.gangs:
        gang_shutdown(w, g, rng_for(seed, "world", "shutdown", g.gang_id))
    for events in (*w.sim_events.values(), *w.card_events.values()):
        events.sort()
    return w
