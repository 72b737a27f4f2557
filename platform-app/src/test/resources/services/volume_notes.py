# A tiny service that keeps notes on a volume mounted at argv[2], listening on 127.0.0.1:argv[1].
# POST /<name> stores the body as the file <name>; GET / lists every note as name=content;
# GET /fill writes until the volume is full and answers with the error it got (ENOSPC), then
# removes what it wrote.
import errno, http.server, os, sys

DIR = sys.argv[2]


class Notes(http.server.BaseHTTPRequestHandler):
    def answer(self, code, text):
        out = text.encode()
        self.send_response(code)
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        if self.path == '/fill':
            path = os.path.join(DIR, '.fill')
            written = 0
            try:
                with open(path, 'wb') as f:
                    while written < (1 << 34):
                        f.write(b'x' * 65536)
                        f.flush()
                        written += 65536
                    f.flush()
                    os.fsync(f.fileno())
                said = 'no error'
            except OSError as e:
                said = errno.errorcode.get(e.errno, str(e.errno))
            os.remove(path)
            return self.answer(200, 'fill=%s written=%d\n' % (said, written))
        notes = []
        for name in sorted(os.listdir(DIR)):
            if name != 'lost+found':
                with open(os.path.join(DIR, name)) as f:
                    notes.append('%s=%s' % (name, f.read()))
        self.answer(200, '\n'.join(notes) + '\n')

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        try:
            with open(os.path.join(DIR, os.path.basename(self.path)), 'wb') as f:
                f.write(body)
            self.answer(201, 'stored\n')
        except OSError as e:
            self.answer(500, 'refused: %s\n' % errno.errorcode.get(e.errno, str(e.errno)))

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Notes).serve_forever()
