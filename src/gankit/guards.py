"""Stopping training safely: on a signal between steps, or on a non-finite loss."""

from __future__ import annotations

import os
import signal
import threading

import torch

from gankit.errors import EXIT_CODES, GankitError, phrase


class Diverged(GankitError):
    """A loss became NaN or infinite; the CLI exits 3."""

    exit_code = 3


class StopSignal:
    """While active, SIGINT, SIGTERM and SIGHUP only set a flag that the loop checks between steps.

    The first signal lets a second one abort at once: in a terminal by the default
    handlers (the process ends), in a Jupyter kernel by the kernel's own (the cell
    raises KeyboardInterrupt and the kernel lives on).
    """

    # Whether a training loop began in this process (the CLI's last words depend on it).
    entered = False

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict = {}
        self._in_kernel = False

    def __enter__(self) -> StopSignal:
        from gankit.panel import in_notebook

        self.signum = None
        self._in_kernel = in_notebook()
        if threading.current_thread() is threading.main_thread():
            for signum in EXIT_CODES:
                if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup's SIGHUP stays so
                    self._previous[signum] = signal.signal(signum, self._handle)
        StopSignal.entered = True
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        self.signum = signum
        for other in self._previous:
            signal.signal(other, self._previous[other] if self._in_kernel else signal.SIG_DFL)
        if signum == getattr(signal, "SIGHUP", None):
            silence_closed_terminal()


def silence_closed_terminal() -> None:
    """After a hangup the terminal is gone and writing to it fails (EIO): what gankit
    still prints on its way out (status lines, the resume hint) goes nowhere instead."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for descriptor in (1, 2):
        if os.isatty(descriptor):
            os.dup2(devnull, descriptor)
    os.close(devnull)


class DivergenceGuard:
    """Remembers, on the device and without a host sync, the first step whose loss was
    not finite; `check()` syncs and raises. Called before every save, so a diverged
    model never overwrites a good checkpoint."""

    def __init__(self, device: torch.device, reduce=lambda value: value):
        self.reduce = reduce  # under DDP: the max over ranks, so all ranks stop together
        self.first_bad = torch.tensor(-1, device=device)
        self.bad_losses = torch.zeros(2, device=device)

    def update(self, d_loss: torch.Tensor, g_loss: torch.Tensor, step: int) -> None:
        """Take the losses of the run's `step` (a Python number: the kernel takes it as
        an argument, with no copy to the device)."""
        losses = torch.stack([d_loss.float(), g_loss.float()])
        newly_bad = self.first_bad.lt(0) & ~torch.isfinite(losses).all()
        self.first_bad = torch.where(newly_bad, step, self.first_bad)
        self.bad_losses = torch.where(newly_bad, losses, self.bad_losses)

    def check(self) -> None:
        step = int(self.reduce(self.first_bad))
        if step >= 0:
            d_loss, g_loss = self.bad_losses.tolist()
            raise Diverged(phrase("training diverged at step {step}: discriminator loss "
                                  "{d_loss}, generator loss {g_loss}", step=step,
                                  d_loss=d_loss, g_loss=g_loss))
