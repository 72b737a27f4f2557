# A tiny HTTP server that answers with what it saw: the headers, the path and the body of the request,
# and how many requests it got so far (count=N: what a refused request must never add to).
# Used by the ingress tests of platform-app and acceptance-tests. Usage: python3 echo_server.py PORT
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def body(self):
        # reads the whole body, de-chunking a streamed one: a server that closes with the
        # body unread makes its kernel answer with a reset, which may beat the response
        if self.headers.get('Transfer-Encoding', '').lower() != 'chunked':
            n = int(self.headers.get('Content-Length') or 0)
            return self.rfile.read(n) if n else b''
        out = b''
        while True:
            size = int(self.rfile.readline().split(b';')[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                    pass
                return out
            out += self.rfile.read(size)
            self.rfile.readline()
    count = 0
    def reply(self):
        body = self.body()
        H.count += 1   # once the request is whole: one broken off in its body is not counted
        out = ''.join(k.lower() + '=' + v + '\n' for k, v in self.headers.items()).encode() + b'count=%d\n' % H.count + b'path=' + self.path.encode() + b'\nbody=' + body
        self.send_response(200)
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = reply
    def log_message(self, *a):
        pass
print('echo listening', flush=True)
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
