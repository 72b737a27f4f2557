# asyncio on Unix sockets and epoll: timers, a server and a client in one loop, a selector.
import asyncio, os, selectors, socket, sys, time


async def handle(reader, writer):
    line = await reader.readline()
    writer.write(line.upper())
    await writer.drain()
    writer.close()


async def main():
    t0 = time.monotonic()
    await asyncio.sleep(0.05)
    print("slept", time.monotonic() - t0 >= 0.045)
    print(await asyncio.gather(*(asyncio.sleep(0.01 * (5 - i), result=i) for i in range(5))))
    server = await asyncio.start_unix_server(handle, "as.sock")
    for word in (b"hello\n", b"again\n"):
        reader, writer = await asyncio.open_unix_connection("as.sock")
        writer.write(word)
        await writer.drain()
        print((await reader.readline()).decode().strip(), await reader.read())
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()
    try:
        await asyncio.wait_for(asyncio.sleep(10), 0.05)
    except asyncio.TimeoutError:
        print("timed out")


asyncio.run(main())
os.unlink("as.sock")

a, b = socket.socketpair()
sel = selectors.DefaultSelector()
print(type(sel).__name__)
sel.register(a, selectors.EVENT_READ, "a-readable")
print(sel.select(timeout=0.05))
b.send(b"x")
print([(k.data, ev) for k, ev in sel.select(timeout=1)])
sel.modify(a, selectors.EVENT_READ | selectors.EVENT_WRITE, "a-both")
print(sorted((k.data, ev) for k, ev in sel.select(timeout=1)))
sel.unregister(a)
sel.close()

# a stream server here and its client in a forked child; a datagram pair
sys.stdout.flush()
p = os.fork()
if p == 0:
    time.sleep(0.1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect("srv.sock")
    c.sendall(b"ping from child")
    print("child got", c.recv(100), flush=True)
    os._exit(0)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("srv.sock")
s.listen()
conn, addr = s.accept()
conn.sendall(conn.recv(100)[::-1])
os.waitpid(p, 0)
print("accepted", repr(addr), conn.getsockname())
os.unlink("srv.sock")
x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
x.send(b"one")
x.send(b"two!")
print(y.recv(100, socket.MSG_PEEK), y.recv(100), y.recv(2), y.recv(1, socket.MSG_DONTWAIT) if False else "")
