"""The false-alarm budget, per traveller: how likely an innocent traveller is told that
their details match a record, and the universe size that keeps it under a limit.

One lookup of a key that is not in a set of n distinct fingerprints drawn from U
values says "present" with probability at most n/U + n/2^64: each stored value has
at most ceil(2^64/U) of the 2^64 hash values that land on it (``firmware.core.fpset``).
A traveller makes ``lookups`` lookups of each key kind (``firmware.core.keys``); by the
union bound a false strong answer (a document key) or a false possible one (a name
key) then has probability at most ``lookups`` times that. The builder picks the
smallest U that meets the budget for the worst passport shape; the kiosk recomputes
the bound from the installed sets and refuses a list that is worse than its settings
allow. Pure; no I/O.
"""

from firmware.core.fpset import MAX_UNIVERSE
from firmware.core.keys import WORST_LOOKUPS

TWO64 = 1 << 64
DEFAULT_STRONG = 1e-7
DEFAULT_POSSIBLE = 1e-6


def lookup_bound(n: int, universe: int) -> float:
    """Upper bound of one lookup's false-alarm probability."""
    return n / universe + n / TWO64


def traveller_bound(n: int, universe: int, lookups: int = WORST_LOOKUPS) -> float:
    """Upper bound of a traveller's false-alarm probability for one key kind."""
    return lookups * lookup_bound(n, universe)


def universe_for(n: int, budget: float, lookups: int = WORST_LOOKUPS) -> int:
    """The smallest universe that keeps ``traveller_bound(n, U, lookups) <= budget``.

    Raises ValueError when no universe up to 2^62 can (the list is too large for the budget).
    """
    if not 0 < budget < 1:
        raise ValueError("a budget is a probability between 0 and 1, got %r" % budget)
    n = max(n, 1)
    per_lookup = budget / lookups - n / TWO64
    if per_lookup <= 0:
        raise ValueError("%d keys cannot meet a budget of %g over %d lookups" % (n, budget, lookups))
    u = int(n / per_lookup) + 1
    while traveller_bound(n, u, lookups) > budget:
        u += max(1, u >> 40)
    if u > MAX_UNIVERSE:
        raise ValueError("%d keys at a budget of %g over %d lookups need a universe beyond 2^62" % (n, budget, lookups))
    return u
