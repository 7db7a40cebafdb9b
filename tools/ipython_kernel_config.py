"""IPython kernel configuration the course ships in its environment (``tools/course.py`` copies this file to
``.venv/etc/ipython/ipython_kernel_config.py``, which every kernel started from ``.venv`` reads).

One thing: the kernel does not log "Kernel is running over TCP without encryption. ...". ipykernel (7.x,
``IPKernelApp.init_sockets``) logs it at every start of a kernel whose connection file asks for TCP, which is
jupyter_client's default transport. Here every kernel is started by a process on the same machine (the
site build through myst-nb, the tests through nbval, JupyterLab) and listens on 127.0.0.1 only; each message
is signed with the random key of a connection file only its user can read. The build would print it once
per chapter, a warning nobody reading the log can act on. The alternatives are worse: IPC transport
(``KernelManager.transport = "ipc"``) needs a unique absolute socket path per kernel, which myst-nb's client
does not set (it falls back to a relative ``kernel-ipc`` path that the kernel and the build resolve from
different folders), and raising the kernel's log level would hide every other warning too. So exactly that
message is dropped; anything else the kernel logs still shows.
"""

import logging

TCP_WARNING = "Kernel is running over TCP without encryption"


class DropTcpWarning(logging.Filter):
    """Drop the kernel's TCP-without-encryption warning, keep every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(TCP_WARNING)


logging.getLogger("IPKernelApp").addFilter(DropTcpWarning())
