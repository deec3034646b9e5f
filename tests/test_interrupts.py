"""Ctrl-C is never lost: one that lands in a finaliser is remembered and raised at the next check."""

import signal

import pytest

from wavediff import interrupts


class _InterruptsWhenCollected:
    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)  # the handler runs inside __del__, where Python cannot raise


def test_a_ctrl_c_swallowed_in_a_finaliser_is_raised_at_the_next_check(python_sigint, capsys):
    with interrupts.handle_sigint():
        _InterruptsWhenCollected()  # collected at once: its KeyboardInterrupt is "ignored"
        assert interrupts.requested()
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
    assert not interrupts.requested()  # the next command starts clean
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "Traceback" not in capsys.readouterr().err  # no unraisable-exception wall


def test_a_ctrl_c_raises_where_it_lands(python_sigint):
    with pytest.raises(KeyboardInterrupt), interrupts.handle_sigint():
        signal.raise_signal(signal.SIGINT)
    interrupts.check()  # outside the block nothing is pending


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts.handle_sigint():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)
            assert not interrupts.requested()
    finally:
        signal.signal(signal.SIGINT, previous)
