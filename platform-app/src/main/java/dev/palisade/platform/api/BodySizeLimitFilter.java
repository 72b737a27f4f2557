package dev.palisade.platform.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Caps API request bodies before anything reads them: a declared Content-Length over the limit
 * is answered 413 at once; a body without one (chunked) fails when reading passes the limit.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class BodySizeLimitFilter extends OncePerRequestFilter {

    private final long maxBytes;

    BodySizeLimitFilter(ApiProperties properties) {
        this.maxBytes = properties.maxBodySize().toBytes();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // multipart uploads (workload inputs, images) have their own bound: spring.servlet.multipart.*; a
        // tenant's image upload streams to disk, bounded by palisade.images.max-size; a volume's import streams
        // into the volume, bounded by its size
        return !request.getRequestURI().startsWith(request.getContextPath() + "/api/") || isMultipart(request)
                || isImageUpload(request) || isVolumeImport(request) || isDatabaseRestore(request);
    }

    /** A database's restore streams into the database, bounded by its size bound's check. */
    private static boolean isDatabaseRestore(HttpServletRequest request) {
        return "PUT".equals(request.getMethod()) && request.getRequestURI()
                .substring(request.getContextPath().length()).matches("/api/v1/tenants/[^/]+/databases/[^/]+/dump");
    }

    private static boolean isVolumeImport(HttpServletRequest request) {
        return "PUT".equals(request.getMethod()) && request.getRequestURI()
                .substring(request.getContextPath().length()).matches("/api/v1/tenants/[^/]+/volumes/[^/]+/archive");
    }

    private static boolean isImageUpload(HttpServletRequest request) {
        return "POST".equals(request.getMethod()) && request.getRequestURI()
                .substring(request.getContextPath().length()).matches("/api/v1/tenants/[^/]+/images");
    }

    private static boolean isMultipart(HttpServletRequest request) {
        String type = request.getContentType();
        return type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > maxBytes) {
            response.setStatus(413);
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"Content Too Large\",\"status\":413,"
                    + "\"detail\":\"Request body larger than " + maxBytes + " bytes\"}");
            return;
        }
        chain.doFilter(new LimitedRequest(request, maxBytes), response);
    }

    /** Thrown while reading a body past the limit; the exception handler turns it into 413. */
    static final class BodyTooLargeException extends IOException {
        BodyTooLargeException(long max) {
            super("Request body larger than " + max + " bytes");
        }
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {

        private final long max;
        private ServletInputStream stream;

        LimitedRequest(HttpServletRequest request, long max) {
            super(request);
            this.max = max;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long count;

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0 && ++count > max) {
                            throw new BodyTooLargeException(max);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        int n = in.read(buf, off, len);
                        if (n > 0 && (count += n) > max) {
                            throw new BodyTooLargeException(max);
                        }
                        return n;
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }
    }
}
