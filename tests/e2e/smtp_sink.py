"""A mail sink for the browser tests: just enough SMTP (RFC 5321) for lettre, no AUTH or
STARTTLS. Every message accepted is written, as received and dot-unstuffed, to DIR/<n>.eml.

Usage: python3 smtp_sink.py PORT DIR   (listens on 127.0.0.1 only)
"""
import asyncio
import itertools
import os
import sys

PORT, DIR = int(sys.argv[1]), sys.argv[2]
numbers = itertools.count(1)


def store(data: bytes) -> None:
    path = os.path.join(DIR, f"{next(numbers)}.eml")
    # Written aside then renamed, so a reader polling DIR never sees half a message.
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    def reply(text: str) -> None:
        writer.write(text.encode() + b"\r\n")

    sender, recipients = None, []
    try:
        reply("220 sink.local ESMTP ready")
        while line := await reader.readline():
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()
            if verb == b"EHLO":
                reply("250-sink.local\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb in (b"HELO", b"NOOP"):
                reply("250 OK")
            elif verb == b"RSET":
                sender, recipients = None, []
                reply("250 OK")
            elif verb == b"MAIL":
                sender, recipients = line, []
                reply("250 OK")
            elif verb == b"RCPT":
                if sender is None:
                    reply("503 MAIL first")
                else:
                    recipients.append(line)
                    reply("250 OK")
            elif verb == b"DATA":
                if not recipients:
                    reply("503 RCPT first")
                    continue
                reply("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                lines = []
                while (data := await reader.readline()) not in (b".\r\n", b".\n"):
                    if not data:
                        return  # cut off mid-message: nothing is stored
                    lines.append(data[1:] if data.startswith(b".") else data)
                store(b"".join(lines))
                sender, recipients = None, []
                reply("250 OK queued")
            elif verb == b"QUIT":
                reply("221 Bye")
                await writer.drain()
                break
            else:
                reply("502 Command not implemented")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass  # a client that hangs up (or a port probe) ends only its own session
    finally:
        writer.close()


async def main() -> None:
    os.makedirs(DIR, exist_ok=True)
    server = await asyncio.start_server(session, "127.0.0.1", PORT, limit=1 << 20)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
