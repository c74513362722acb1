"""The one deadline type (firmware/deadline.py), on a clock the test steps."""

from __future__ import annotations

from firmware.deadline import Deadline


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_deadline_counts_down_on_its_clock_and_expires_at_its_end() -> None:
    clock = Clock()
    d = Deadline(5, clock=clock)
    assert d.remaining() == 5 and not d.expired()
    clock.now += 4.5
    assert d.remaining() == 0.5 and not d.expired()
    clock.now += 0.5
    assert d.expired() and d.remaining() == 0.0  # the end instant is expired


def test_remaining_never_goes_below_zero_so_a_wait_for_it_never_blocks() -> None:
    clock = Clock()
    d = Deadline(1, clock=clock)
    clock.now += 30
    assert d.remaining() == 0.0 and d.expired()


def test_restart_gives_the_same_length_again_from_now() -> None:
    clock = Clock()
    d = Deadline(2, clock=clock)
    clock.now += 1.5
    d.restart()
    clock.now += 1.5
    assert not d.expired() and d.remaining() == 0.5


def test_a_zero_or_negative_deadline_is_expired_at_once() -> None:
    clock = Clock()
    assert Deadline(0, clock=clock).expired()
    assert Deadline(-1, clock=clock).remaining() == 0.0


def test_the_repr_gives_the_length_not_the_clock() -> None:
    assert repr(Deadline(5, clock=Clock())) == "Deadline(5 s, 5.000 s left)"
