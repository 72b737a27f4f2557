# A WebSocket echo server (python standard library only) for ingress-bench.sh's round-trip rows:
# every text or binary message goes back to its sender. Usage: python3 ws-echo.py PORT
import base64, hashlib, socket, struct, sys, threading

def read_exact(f, n):
    b = f.read(n)
    if len(b) < n:
        raise EOFError()
    return b

def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile('rb')
    f.readline()
    headers = {}
    while True:
        h = f.readline().decode()
        if h in ('\r\n', '\n', ''):
            break
        k, _, v = h.partition(':')
        headers[k.strip().lower()] = v.strip()
    if 'sec-websocket-key' not in headers:
        c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
        c.close()
        return
    accept = base64.b64encode(hashlib.sha1((headers['sec-websocket-key']
             + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
    c.sendall(('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               'Sec-WebSocket-Accept: ' + accept + '\r\n\r\n').encode())
    try:
        while True:
            b1, b2 = read_exact(f, 2)
            n = b2 & 0x7f
            if n == 126:
                n = struct.unpack('>H', read_exact(f, 2))[0]
            elif n == 127:
                n = struct.unpack('>Q', read_exact(f, 8))[0]
            mask = read_exact(f, 4) if b2 & 0x80 else b'\0\0\0\0'
            data = bytes(x ^ mask[i % 4] for i, x in enumerate(read_exact(f, n)))
            op = b1 & 0x0f
            if op == 8:
                c.sendall(bytes([0x88, 0]))
                break
            if op == 9:
                op = 10
            head = bytes([0x80 | op]) + (bytes([n]) if n < 126 else bytes([126]) + struct.pack('>H', n))
            c.sendall(head + data)
    except (EOFError, OSError, ValueError):
        pass
    finally:
        c.close()

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(64)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
