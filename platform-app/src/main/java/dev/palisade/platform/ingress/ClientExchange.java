package dev.palisade.platform.ingress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.BiConsumer;

/**
 * The client's side of one ingress request, whichever front received it: the request as the
 * client sent it (method, query, headers, body) and the response being made for it. The routing
 * ({@link IngressRouter}) and the relay ({@link Relay}, {@link HttpProxy}) work on this only, so
 * that the platform port (Tomcat, {@link ServletExchange}) and the dedicated ingress port
 * ({@link NettyIngress}, which routes through the same {@link IngressRouter}) behave alike.
 */
interface ClientExchange {

    String method();

    /** The query string without its {@code ?}, or null. */
    String query();

    /** The first value of a header (the name in any case), or null. */
    String header(String name);

    /** Every header line, names as the client spelled them, in order. */
    void forEachHeader(BiConsumer<String, String> each);

    /** The body's length; -1 when it is chunked or there is none. */
    long contentLength();

    /** The body comes chunked (its length unknown ahead). */
    boolean chunked();

    /** The body, de-chunked. */
    InputStream body() throws IOException;

    String remoteAddress();

    String scheme();

    void status(int status);

    int status();

    void setHeader(String name, String value);

    void addHeader(String name, String value);

    void contentLength(long length);

    /** The response body; the first byte written (or a flush) sends the status and headers. */
    OutputStream out() throws IOException;

    /** Whether the status and headers went to the client already. */
    boolean committed();

    /** Forgets the status, headers and anything buffered of an uncommitted response. */
    void reset();
}
