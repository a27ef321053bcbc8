"""Connecting to a Ray cluster: its address checked before ``ray.init``, one connection for a whole run.

:func:`connect` imports Ray (the only module that does: Ray is an optional extra, needed only by
``--ray``) and refuses an address where no Ray head node answers, one that is a URL or has no
port, and a head node that asks for a token the command does not give, each in one line naming
``--ray``, at once (``ray.init`` would retry for minutes); :func:`ray_session` holds one
connection for a run, which every :class:`~evface.ray_cluster.RayCluster` inside reuses. The
connection it makes ends without waiting on a lost cluster (:data:`SHUTDOWN_FLUSH_MS`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from evface.errors import ParameterError

SHUTDOWN_FLUSH_MS = 500
"""How long (milliseconds) ``ray.shutdown`` waits for the driver's last task events (Ray's record of its
tasks, for its dashboard) to reach the cluster's GCS, in a connection :func:`connect` made: Ray's
``task_events_shutdown_flush_timeout_ms``, 5000 by default, which a cluster whose head node is gone
waits out in full before the command can say so (:class:`~evface.ray_cluster.ClusterLostError`). A
GCS that answers takes milliseconds; one that takes longer loses those events, not the run's."""

_SHUTDOWN_FLUSH_SETTING = "RAY_task_events_shutdown_flush_timeout_ms"
"""The environment variable that sets Ray's ``task_events_shutdown_flush_timeout_ms`` in the driver."""


@contextmanager
def ray_session(address: str | None) -> Iterator[None]:
    """Hold one connection to the Ray cluster at ``address`` for the block (``None``: no cluster,
    nothing to do), so that a cluster which does not answer stops a run before it writes anything;
    the :class:`~evface.ray_cluster.RayCluster` executors inside reuse it."""
    if address is None:
        yield
        return
    ray, ours = connect(address)
    try:
        yield
    finally:
        if ours:
            ray.shutdown()


def connect(address: str) -> tuple[Any, bool]:
    """Import Ray and connect this process to the cluster at ``address`` unless it is connected.

    Returns the ``ray`` module and whether this call connected (then the caller disconnects).
    """
    try:
        import ray  # lazy: Ray is an optional extra, needed only by --ray
    except ImportError:
        raise ParameterError("--ray needs Ray: pip install 'evface[ray]' (or run without --ray)") from None
    if ray.is_initialized():
        return ray, False
    given = os.environ.get("RAY_ADDRESS", "") if address == "auto" else address  # ray.init reads it for auto
    named = f"--ray {address}" + (f" (RAY_ADDRESS={given})" if address == "auto" and given else "")
    if address != "auto" or given not in ("", "auto"):
        _check_address(ray, given, named)
    handler = signal.getsignal(signal.SIGTERM)
    try:
        with _short_shutdown_flush():
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"{named}: cannot connect to a Ray cluster ({reason}); start one with "
                             "'ray start --head' or give --ray HOST:PORT of a running head node") from None
    finally:
        _keep_sigterm(handler)
    return ray, True


@contextmanager
def _short_shutdown_flush() -> Iterator[None]:
    """Give ``ray.init`` in the block :data:`SHUTDOWN_FLUSH_MS` as the driver's shutdown flush timeout.

    Ray reads its settings from ``RAY_``-prefixed environment variables as ``ray.init`` starts the
    driver's core worker (its ``_system_config`` is refused when connecting to a running cluster);
    the variable is set for the block only, so that no process this one starts inherits it, and
    one the user set is kept.

    Examples
    --------
    >>> import os
    >>> before = os.environ.pop(_SHUTDOWN_FLUSH_SETTING, None)
    >>> with _short_shutdown_flush():
    ...     os.environ[_SHUTDOWN_FLUSH_SETTING]
    '500'
    >>> _SHUTDOWN_FLUSH_SETTING in os.environ
    False
    >>> os.environ[_SHUTDOWN_FLUSH_SETTING] = "2000"  # the user's own
    >>> with _short_shutdown_flush():
    ...     os.environ[_SHUTDOWN_FLUSH_SETTING]
    '2000'
    >>> if before is None:
    ...     del os.environ[_SHUTDOWN_FLUSH_SETTING]
    ... else:
    ...     os.environ[_SHUTDOWN_FLUSH_SETTING] = before
    """
    if _SHUTDOWN_FLUSH_SETTING in os.environ:
        yield
        return
    os.environ[_SHUTDOWN_FLUSH_SETTING] = str(SHUTDOWN_FLUSH_MS)
    try:
        yield
    finally:
        del os.environ[_SHUTDOWN_FLUSH_SETTING]


def _check_address(ray: Any, address: str, named: str) -> None:
    """Refuse ``address`` unless a Ray head node answers there (``named``: the option and value that
    gave it, for the message): ``ray.init`` keeps retrying an address where nothing listens."""
    if "://" in address:
        raise ParameterError(f"{named}: a URL (of Ray's job server or Ray Client) is not the address of a head node; "
                             "give the HOST:PORT that 'ray start --head' printed")
    host, _, port = address.rpartition(":")
    # at most 5 digits: 5000 of them were int()'s ValueError (an internal error, exit 1)
    if not (host and port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
        raise ParameterError(f"{named}: expected auto or HOST:PORT with a port in 1..65535, as "
                             "'ray start --head' prints it")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except UnicodeError:  # a name the resolver cannot encode (IDNA): too long a label, '..', a non-UTF-8 byte
        raise ParameterError(f"{named}: {host!r} is not a host name; give the HOST:PORT that 'ray start --head' "
                             "printed") from None
    except OSError as exc:
        raise ParameterError(f"{named}: no Ray head node answers there ({exc}); give the HOST:PORT that "
                             "'ray start --head' printed, or --ray auto on a node of the cluster") from None
    try:
        is_head = _is_ray_head(ray, host, int(port))
    except getattr(ray.exceptions, "AuthenticationError", ()):
        raise ParameterError(f"{named}: the Ray head node there asks for its token (Ray's token authentication), "
                             "and this command gives none: set RAY_AUTH_MODE=token, with the cluster's token in "
                             "RAY_AUTH_TOKEN or ~/.ray/auth_token, as on its nodes") from None
    if not is_head:
        raise ParameterError(f"{named}: something answers there, but not a Ray head node; give the "
                             "HOST:PORT that 'ray start --head' printed (its --port, 6379 by default; not the "
                             "dashboard's or the Ray Client's port)")


def _is_ray_head(ray: Any, host: str, port: int) -> bool:
    """Whether a Ray head node's GCS (a gRPC server) may answer at ``host:port``. Where another
    server answers (the dashboard's HTTP port, a raylet's gRPC port), ``ray.init`` tries 20 times
    for a second or more each, printing a warning of Ray's C++ core each time; this takes at most
    5 s (a server that says nothing), and prints nothing.

    Ray has no public call that asks an address for its GCS without those retries: past the
    HTTP/2 check (plain sockets), this asks Ray's own GCS client (``ray._raylet.GcsClient``, what
    ``ray.init`` tries each time). A Ray without it, or whose client takes other arguments or
    fails otherwise, leaves the question to ``ray.init`` (``True``): slower, never wrong. A head
    node that asks for a token this process does not give (Ray's token authentication) raises
    Ray's ``AuthenticationError``: ``ray.init`` would try it 20 times and say only that it
    cannot connect."""
    tls = os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true")  # then the GCS answers only in TLS
    if not tls and not _speaks_http2(host, port):
        return False
    client = getattr(getattr(ray, "_raylet", None), "GcsClient", None)
    rpc_error = getattr(getattr(ray, "exceptions", None), "RpcError", None)
    if client is None or rpc_error is None:
        return True
    with _stderr_silenced():
        try:
            client(address=f"{host}:{port}")
        except rpc_error:
            return False
        except getattr(ray.exceptions, "AuthenticationError", ()):  # a head node that wants a token: the caller says so
            raise
        except Exception:  # noqa: BLE001 - another Ray's client: ray.init, public, decides
            return True
    return True


_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000")
"""What an HTTP/2 client sends first: the connection preface and an empty SETTINGS frame (RFC 9113, 3.4)."""


def _speaks_http2(host: str, port: int, timeout: float = 5.0) -> bool:
    """Whether the server at ``host:port`` answers the HTTP/2 preface with a SETTINGS frame, as an
    HTTP/2 server (every gRPC server) does at once; an HTTP/1 server does not, nor one that
    says nothing for ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(_HTTP2_PREFACE)
            head = b""
            while len(head) < 9:
                more = connection.recv(9 - len(head))
                if not more:
                    break
                head += more
    except OSError:
        return False
    return len(head) == 9 and head[3] == 0x4  # a frame header whose type is SETTINGS


def _keep_sigterm(handler: Any) -> None:
    """Put back the SIGTERM ``handler`` of this process's caller, which ``ray.init`` replaced by its
    own (an exit that skips the caller's clean-up: the ``evface`` command's, which stops as Ctrl-C
    does, with exit code 143); a caller without a handler of its own keeps Ray's."""
    if callable(handler) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send what is written to file descriptor 2 in the block (where Ray's C++ core logs) to the null device."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
