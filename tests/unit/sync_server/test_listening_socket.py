"""The server's listening socket hands asyncio connections it sets TCP_NODELAY on: without it, answers on
a kept-alive connection waited ~40 ms each for the client's delayed ACK (found by the security rig)."""

from __future__ import annotations

import asyncio
import socket

from sync_server.runner import listening_socket


def test_accepted_connections_have_nagle_off() -> None:
    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listening_socket("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        async with server:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await asyncio.wait_for(accepted, 10)
            writer.close()
        return nodelay

    assert asyncio.run(accept_one()) != 0
