"""Benign credential changes nobody scripted, and directory noise around them.

Most credential changes in a real tenant are benign: people forget passwords, reset them
themselves, get new phones. Each is labelled (expected "not_high") so a backtest can count
false positives against every credential change in the data, not only the scripted ones.
"""

from __future__ import annotations

from correlator.simulate.activity import home_network
from correlator.simulate.formats import Sign
from correlator.simulate.lookalikes import MFA, forgot_password, self_service_reset
from correlator.simulate.records import profile_update, user_registered
from correlator.simulate.scenarios import agent_time, change_day, label, minutes
from correlator.simulate.tenant import User, phone
from correlator.simulate.world import World


def new_phone(w: World, user: User) -> None:
    """A new phone: the user adds an authenticator on it from home, nobody else involved."""
    device = phone(w.rng)
    net, ip = home_network(user)
    at = w.local(change_day(w), w.rng.uniform(18.0, 21.0), user.site.office_v4.place.utc_offset)
    sid = w.sign(Sign(user, at, net, ip, device, "mysignins", methods=MFA))
    changes = w.add_audits(user_registered(w.rng, at + minutes(w, 1, 3), user, ip))
    label(
        w,
        "lookalike",
        "routine_new_phone_registration",
        user,
        at,
        changes,
        "not_high",
        "User set up a new phone at home and registered the authenticator app on it.",
        [sid],
    )


def routine_changes(w: World) -> None:
    """Background changes nobody scripted: most credential changes in a tenant are benign."""
    rate = 0.015 * w.days / 14
    for user in list(w.tenant.users):
        if user.upn in w.busy or user.helpdesk or user.first_day or user.travel:
            continue
        roll = w.rng.random()
        if roll < rate:
            w.busy.add(user.upn)
            self_service_reset(w, user, "routine_self_service_reset", new_network=False)
        elif roll < 2 * rate:
            w.busy.add(user.upn)
            forgot_password(w, user, "routine_helpdesk_reset")
        elif roll < 3 * rate:
            w.busy.add(user.upn)
            new_phone(w, user)
        elif roll < 6 * rate:
            _profile_noise(w, user)


def _profile_noise(w: World, user: User) -> None:
    admins = [u for u in w.tenant.users if u.privileged]
    if admins:
        admin = w.rng.choice(admins)
        at = agent_time(w, admin, change_day(w))
        w.add_audits(profile_update(w.rng, at, admin, user, admin.site.office_v4.address(w.rng)))
