"""The report runner's kernels: encrypted sockets, and their stderr passed on without two known harmless lines.

What a notebook prints reaches its page; what its kernel process writes to its own standard error
(the kernel's start-up log, TensorFlow's C++ log) reaches the terminal of ``aeutils report`` only (the
kernel does not copy process-level output into the notebook: :data:`NO_FD_CAPTURE`).
Two lines came with every notebook there, and a third with a model of LeakyReLU convolutions, none a
problem of the run:

* ipykernel's ``Kernel is running over TCP without encryption`` warning. Its cause is the
  transport: :class:`ReportKernelManager` provisions CurveZMQ keys (jupyter_client's
  ``transport_encryption``; the ipykernel kernelspec declares ``curve``), so the sockets are
  encrypted and the kernel has nothing to warn about.
* TensorFlow's ``E0000 ... util.cc:131] oneDNN supports DT_INT32 only on platforms with AVX-512.
  Falling back to the default Eigen-based implementation if present.``, logged as an ERROR
  (so ``TF_CPP_MIN_LOG_LEVEL=2`` keeps it, and 3 would hide real errors too). It is printed once per
  process (``DataTypeUnsupportedWarning`` in TensorFlow's ``core/util/util.cc``) when oneDNN's graph
  rewrite meets an op of a type oneDNN does not take, whatever the CPU (this one has AVX-512), and
  that op then runs on TensorFlow's own Eigen kernel: nothing is wrong with the run. TensorFlow
  offers no switch for this one line.
* Grappler's ``E0000 ... meta_optimizer.cc:...] remapper failed: INVALID_ARGUMENT: Mutation::Apply error:
  fanout '.../LeakyReluGrad' exist for missing node '.../BiasAdd'.`` (``mixed_mnist_cifar``): the remapper
  fuses Conv2D + BiasAdd + LeakyReLU, the gradient still reads the BiasAdd it removed, so the remapper
  rolls back that rewrite for the graph and training runs unfused: a TensorFlow bug (reported, e.g.,
  in jrayzhang6/CFR-RL#7), not an error of the run. Turning the remapper off would lose every fusion.

:func:`forward_stderr` drops exactly these lines (:data:`KNOWN_NOISE`) and passes every other line on as it
came, errors included.
"""

from __future__ import annotations

import os
import re
import sys
import threading

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

#: TensorFlow's "falling back to Eigen" line (any data type).
ONEDNN_FALLBACK = re.compile(
    r"^.*\butil\.cc:\d+\] oneDNN supports DT_\w+ only on platforms with AVX-512\. "
    r"Falling back to the default Eigen-based implementation if present\.\s*$"
)

#: Grappler's rolled-back Conv2D + BiasAdd + LeakyReLU fusion (the gradient reads the BiasAdd it fused away).
REMAPPER_LEAKY_RELU = re.compile(
    r"^.*\bmeta_optimizer\.cc:\d+\] remapper failed: INVALID_ARGUMENT: Mutation::Apply error: "
    r"fanout '[^']*LeakyReluGrad' exist for missing node '[^']*BiasAdd'\.\s*$"
)

#: The IPython kernel's option that keeps process-level output (C and C++ libraries) out of the notebook.
NO_FD_CAPTURE = "--IPKernelApp.capture_fd_output=False"

#: The kernel stderr lines not passed on: nothing else is dropped.
KNOWN_NOISE = (ONEDNN_FALLBACK, REMAPPER_LEAKY_RELU)


def forward_stderr(fd: int, out=None) -> None:
    """Copy the lines read from file descriptor ``fd`` to ``out`` (default ``sys.stderr``) until end of file.

    Every line but those of :data:`KNOWN_NOISE` is passed on as it came; ``fd`` is closed at the end.

    Example:
    >>> import io
    >>> r, w = os.pipe()
    >>> _ = os.write(w, b"E0000 00:00:1.5  7 util.cc:131] oneDNN supports DT_INT32 only on platforms with AVX-512. "
    ...                 b"Falling back to the default Eigen-based implementation if present.\\nE0000 real error\\n")
    >>> os.close(w)
    >>> out = io.StringIO()
    >>> forward_stderr(r, out)
    >>> out.getvalue()
    'E0000 real error\\n'
    """
    with os.fdopen(fd, "rb") as pipe:
        for raw in pipe:
            line = raw.decode(errors="replace")
            if any(pattern.match(line) for pattern in KNOWN_NOISE):
                continue
            target = sys.stderr if out is None else out
            target.write(line)
            target.flush()


class ReportKernelManager(AsyncKernelManager):
    """The kernel manager of :func:`aeutils.reports.run_notebook`: CurveZMQ sockets, a filtered stderr.

    The kernel's standard error goes through a pipe that :func:`forward_stderr` reads in a thread
    of this process (the runner's), until the kernel and any process it started have exited.
    """

    @default("transport_encryption")
    def _encrypt_when_possible(self):
        return "auto" if zmq.has("curve") else "disabled"

    async def start_kernel(self, **kw):
        """Start the kernel (as :class:`~jupyter_client.manager.AsyncKernelManager` does) with its stderr filtered.

        An IPython kernel is started with ``--IPKernelApp.capture_fd_output=False``: what its process writes to
        file descriptors 1 and 2 (TensorFlow's C++ log) goes to the terminal through :func:`forward_stderr`
        instead of into the executed notebook, where it was an unfiltered copy of the same lines.
        """
        if "stderr" in kw:  # the caller chose where it goes
            return await super().start_kernel(**kw)
        if any("ipykernel" in arg for arg in self.kernel_spec.argv):
            kw["extra_arguments"] = [*(kw.get("extra_arguments") or []), NO_FD_CAPTURE]
        read_fd, write_fd = os.pipe()
        try:
            await super().start_kernel(stderr=write_fd, **kw)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # the kernel holds its own copy: end of file once it has exited
        # A restart (which the runner never asks for) would reuse the closed descriptor: it inherits ours.
        (self._launch_args or {}).pop("stderr", None)
        self._stderr_thread = threading.Thread(target=forward_stderr, args=(read_fd,), daemon=True)
        self._stderr_thread.start()

    async def _async_interrupt_kernel(self):
        """Interrupt the kernel, except on the way to shutting it down.

        jupyter_client sends SIGINT before every shutdown request; a kernel that is finishing a message then
        logs ``KeyboardInterrupt caught in kernel.`` to the terminal. The runner shuts a kernel down only once
        its notebook has ended (a cell that overran the timeout was interrupted by nbclient already), and a
        kernel that does not stop on request is killed, so that signal has nothing left to do.
        """
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def shutdown_kernel(self, now: bool = False, restart: bool = False):
        """Stop the kernel, then wait (≤ 5 s) for its last stderr lines, so they come before the runner's next."""
        await super().shutdown_kernel(now=now, restart=restart)
        thread = getattr(self, "_stderr_thread", None)
        if thread is not None:
            thread.join(timeout=5)
