package dev.palisade.platform.ingress;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Enumeration;
import java.util.function.BiConsumer;

/** An ingress request that came in on the platform port, through Tomcat. */
record ServletExchange(HttpServletRequest req, HttpServletResponse resp) implements ClientExchange {

    @Override
    public String method() {
        return req.getMethod();
    }

    @Override
    public String query() {
        return req.getQueryString();
    }

    @Override
    public String header(String name) {
        return req.getHeader(name);
    }

    @Override
    public void forEachHeader(BiConsumer<String, String> each) {
        for (Enumeration<String> names = req.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            for (Enumeration<String> values = req.getHeaders(name); values.hasMoreElements(); ) {
                each.accept(name, values.nextElement());
            }
        }
    }

    @Override
    public long contentLength() {
        return req.getContentLengthLong();
    }

    @Override
    public boolean chunked() {
        return req.getContentLengthLong() < 0 && req.getHeader("Transfer-Encoding") != null;
    }

    @Override
    public InputStream body() throws IOException {
        return req.getInputStream();
    }

    @Override
    public String remoteAddress() {
        return req.getRemoteAddr();
    }

    @Override
    public String scheme() {
        return req.getScheme();
    }

    @Override
    public void status(int status) {
        resp.setStatus(status);
    }

    @Override
    public int status() {
        return resp.getStatus();
    }

    @Override
    public void setHeader(String name, String value) {
        resp.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        resp.addHeader(name, value);
    }

    @Override
    public void contentLength(long length) {
        resp.setContentLengthLong(length);
    }

    @Override
    public OutputStream out() throws IOException {
        return resp.getOutputStream();
    }

    @Override
    public boolean committed() {
        return resp.isCommitted();
    }

    @Override
    public void reset() {
        resp.reset();
    }
}
