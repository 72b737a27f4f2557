package dev.palisade.platform.ingress;

import dev.palisade.platform.service.InstanceConnections;
import dev.palisade.platform.service.ServiceProperties;
import dev.palisade.platform.service.ServiceRegistry;
import dev.palisade.platform.service.ServiceStore;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.HtmlUtils;

/**
 * The ingress: {@code /apps/{tenant}/{service}/…} (and, with {@code palisade.services.apps-domain}
 * set, the host {@code service.tenant.<apps-domain>}) is proxied to the service's port inside
 * its sandbox, over a connection the engine opens in the sandbox's own network namespace
 * ({@code Sandbox.connect}). The sandbox itself keeps reaching nothing. Runs before Spring
 * Security: a hosted service is public, like any web site, and answers for itself; the
 * platform's cookies and tokens are never involved (the console's session cookie is scoped to
 * the platform, and services get no credentials of ours).
 */
class IngressFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(IngressFilter.class);
    static final String PREFIX = "/apps/";
    private static final Pattern PATH = Pattern.compile("/apps/([a-z0-9][a-z0-9-]{0,39})/([a-z0-9][a-z0-9-]{0,39})(/.*)?");

    private final ServiceRegistry registry;
    private final ServiceStore services;
    private final ServiceProperties properties;
    private final IngressStats stats;
    private final long queueTimeoutMillis;
    private final int readTimeout;

    IngressFilter(ServiceRegistry registry, ServiceStore services, ServiceProperties properties, IngressStats stats) {
        this.registry = registry;
        this.services = services;
        this.properties = properties;
        this.stats = stats;
        this.queueTimeoutMillis = properties.queueTimeout().toMillis();
        this.readTimeout = (int) properties.readTimeout().toMillis();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        String raw = req.getRequestURI();
        String domain = properties.appsDomain();
        if (domain != null && !domain.isBlank()) {
            String host = hostOnly(req.getServerName());
            String suffix = "." + domain.toLowerCase(Locale.ROOT);
            if (host.endsWith(suffix)) {
                String[] labels = host.substring(0, host.length() - suffix.length()).split("\\.");
                if (labels.length == 2) {
                    proxy(req, resp, labels[1], labels[0], raw, "");
                } else {
                    page(resp, 404, "No such service", "There is no service at this address.");
                }
                return;
            }
        }
        if (!raw.startsWith(PREFIX)) {
            chain.doFilter(req, resp);
            return;
        }
        // route on the container's decoded, normalised path; the raw one must agree (no dot segments or encoded slashes)
        String normalised = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        Matcher n = PATH.matcher(normalised);
        Matcher r = PATH.matcher(raw);
        if (!n.matches() || !r.matches() || !n.group(1).equals(r.group(1)) || !n.group(2).equals(r.group(2))) {
            page(resp, 404, "No such service", "Service addresses look like /apps/tenant/service/.");
            return;
        }
        String tenant = r.group(1), service = r.group(2);
        String prefix = "/apps/" + tenant + "/" + service;
        if (r.group(3) == null) {
            resp.setStatus(308);
            resp.setHeader("Location", prefix + "/" + (req.getQueryString() == null ? "" : "?" + req.getQueryString()));
            return;
        }
        proxy(req, resp, tenant, service, r.group(3), prefix);
    }

    private void proxy(HttpServletRequest req, HttpServletResponse resp, String tenant, String service, String path,
            String prefix) throws IOException {
        long start = System.nanoTime();
        int status = 503;
        try {
            Optional<ServiceRegistry.Instance> instance = registry.route(tenant, service);
            if (instance.isEmpty()) {
                status = notRunning(resp, tenant, service);
                return;
            }
            Semaphore permits = registry.permits(tenant, service);
            if (!permits.tryAcquire(queueTimeoutMillis, TimeUnit.MILLISECONDS)) {
                resp.setHeader("Retry-After", "1");
                page(resp, 503, "Service busy", "Service " + service + " has too many requests in flight; try again shortly.");
                return;
            }
            InstanceConnections connections = instance.get().connections();
            InstanceConnections.Lease lease = null;
            boolean keep = false;
            try {
                lease = connections.acquire();
                HttpProxy.Exchange x;
                try {
                    x = HttpProxy.exchange(lease.channel(), lease.reused(), req, resp, path, prefix, readTimeout);
                } catch (HttpProxy.Stale e) {
                    // the service closed a kept connection meanwhile: the request never reached it, send it on a new one
                    connections.release(lease.channel(), false);
                    lease = null;
                    lease = connections.fresh();
                    x = HttpProxy.exchange(lease.channel(), false, req, resp, path, prefix, readTimeout);
                }
                status = x.status();
                keep = x.keepAlive();
            } catch (SocketTimeoutException e) {
                status = 504;
                if (!resp.isCommitted()) {
                    resp.reset();
                    page(resp, 504, "Service timed out", "Service " + service + " did not answer in time.");
                }
            } catch (HttpProxy.BadGateway e) {
                status = 502;
                if (!resp.isCommitted()) {
                    resp.reset();
                    page(resp, 502, "Bad gateway", "Service " + service + " sent no valid answer: " + e.getMessage() + ".");
                }
            } catch (IOException e) {
                if (lease != null) {
                    throw e;   // the exchange broke mid-way (handled below)
                }
                status = 503;
                resp.setHeader("Retry-After", "2");
                page(resp, 503, "Service unavailable", "Service " + service + " is not accepting connections right now"
                        + " (it may be restarting).");
            } finally {
                if (lease != null) {
                    connections.release(lease.channel(), keep);
                }
                permits.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 503;
        } catch (IOException e) {
            // the client went away, or the service's connection broke mid-body: nothing more to send
            log.debug("Ingress {}/{}: {}", tenant, service, e.toString());
            status = resp.isCommitted() ? resp.getStatus() : 502;
        } finally {
            stats.record(tenant, service, status, System.nanoTime() - start);
        }
    }

    private int notRunning(HttpServletResponse resp, String tenant, String service) throws IOException {
        Optional<ServiceStore.Deployment> d = services.newest(tenant, service);
        if (d.isEmpty()) {
            page(resp, 404, "No such service", "There is no service " + service + " of tenant " + tenant + ".");
            return 404;
        }
        String state = d.get().workloadState();
        String why = switch (state) {
            case "QUEUED" -> "is waiting for a worker to start it";
            case "RUNNING" -> switch (d.get().status()) {
                case STARTING, PENDING -> "is starting";
                case BACKOFF -> "stopped unexpectedly and is being restarted";
                case CRASH_LOOP -> "keeps crashing (crash loop); it is restarted with increasing delays";
                case HEALTHY -> "runs on node " + d.get().node() + ", which this instance does not route to";
                case STOPPED -> "is stopping";
            };
            default -> "is not running (stopped" + (d.get().lastExit() == null ? "" : "; last: " + d.get().lastExit()) + ")";
        };
        resp.setHeader("Retry-After", "5");
        page(resp, 503, "Service unavailable", "Service " + service + " of tenant " + tenant + " " + why + ".");
        return 503;
    }

    static void page(HttpServletResponse resp, int status, String title, String text) throws IOException {
        resp.setStatus(status);
        resp.setContentType("text/html;charset=UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        String t = HtmlUtils.htmlEscape(title), x = HtmlUtils.htmlEscape(text);
        byte[] body = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + status + " " + t
                + "</title><style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}"
                + "h1{font-size:1.4em}small{color:#666}</style></head><body><h1>" + status + " — " + t + "</h1><p>" + x
                + "</p><p><small>Palisade ingress</small></p></body></html>\n").getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    private static String hostOnly(String host) {
        return host == null ? "" : host.toLowerCase(Locale.ROOT);
    }
}
