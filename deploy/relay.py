"""A TCP relay: `deploy/relay.py LISTEN_PORT TARGET_PORT` forwards 127.0.0.1:LISTEN_PORT to
127.0.0.1:TARGET_PORT.

The stack reaches PostgreSQL and Redis through one relay each, so the fault drill can cut them the way a
restart or a network failure does to the application (every open connection reset, new ones refused)
by killing the relay, and bring them back by starting it again, without touching the machine's servers.
"""

from __future__ import annotations

import asyncio
import sys


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main(listen: int, target: int) -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer), pump(server_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, reuse_address=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
