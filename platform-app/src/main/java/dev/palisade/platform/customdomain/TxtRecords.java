package dev.palisade.platform.customdomain;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Looks up the TXT records a tenant publishes for a DNS-01 challenge, with the JDK's JNDI DNS
 * provider: through {@code palisade.domains.dns-resolver} (host:port) when set, else the system's
 * resolvers. What comes back is the tenant's DNS, so untrusted: compared exactly, and described
 * only bounded and printable.
 */
@Component
class TxtRecords implements DisposableBean {

    /** The most values of one name looked at, and the most characters of each shown. */
    static final int MAX_VALUES = 10, MAX_SHOWN = 100;
    /** The longest a look-up may take, whatever the provider's own timeouts do. */
    static final Duration LIMIT = Duration.ofSeconds(10);

    private final String providerUrl;
    /**
     * Look-ups run here, bounded by {@link #LIMIT} and interrupted past it: the provider's
     * timeouts bound each wait for a packet, not the look-up, and a stuck look-up must not stall
     * the certificates' task.
     */
    private final ThreadPoolExecutor lookups = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(16), new DefaultThreadFactory("txt-lookup", true));

    TxtRecords(CustomDomainProperties properties) {
        lookups.allowCoreThreadTimeOut(true);
        String resolver = properties.dnsResolver();
        this.providerUrl = resolver == null || resolver.isBlank() ? "dns:" : "dns://" + resolver.strip();
    }

    @Override
    public void destroy() {
        lookups.shutdownNow();
    }

    /** What a look-up found: the values (each one record's strings as the provider joins them), or why none. */
    record Found(String name, List<String> values, String failure) {

        boolean holds(String expected) {
            return values.contains(expected);
        }

        /** For the tenant: what was found at the name and what was expected there. */
        String describe(String expected) {
            if (failure != null) {
                return "no TXT record " + name + " found (" + failure + "); expected " + quoted(expected);
            }
            StringBuilder b = new StringBuilder("found TXT ");
            for (int i = 0; i < values.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(quoted(values.get(i)));
            }
            return b.append(" at ").append(name).append(", expected ").append(quoted(expected)).toString();
        }

        private static String quoted(String value) {
            StringBuilder b = new StringBuilder("\"");
            for (int i = 0; i < value.length() && i < MAX_SHOWN; i++) {
                char c = value.charAt(i);
                b.append(c >= 0x20 && c < 0x7f ? c : '?');
            }
            return b.append(value.length() > MAX_SHOWN ? "…\"" : "\"").toString();
        }
    }

    /** The TXT values at {@code name} (fully qualified, without the final dot). */
    Found lookup(String name) {
        Future<Found> lookup;
        try {
            lookup = lookups.submit(() -> query(name));
        } catch (RejectedExecutionException e) {
            return new Found(name, List.of(), "too many look-ups are waiting for their DNS servers");
        }
        try {
            return lookup.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            lookup.cancel(true);
            return new Found(name, List.of(), "the DNS server did not answer within " + LIMIT.toSeconds() + " s");
        } catch (InterruptedException e) {
            lookup.cancel(true);
            Thread.currentThread().interrupt();
            return new Found(name, List.of(), "the look-up was interrupted");
        } catch (ExecutionException e) {
            return new Found(name, List.of(), "the DNS query failed: " + e.getCause().getClass().getSimpleName());
        }
    }

    private Found query(String name) {
        Hashtable<String, String> env = new Hashtable<>();
        env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
        env.put("java.naming.provider.url", providerUrl);
        // a check repeats every check-interval: a slow or silent server costs a few seconds, not the task
        env.put("com.sun.jndi.dns.timeout.initial", "1000");
        env.put("com.sun.jndi.dns.timeout.retries", "2");
        DirContext context = null;
        try {
            context = new InitialDirContext(env);
            // the final dot: an absolute name, never completed with the host's search domains
            Attributes attributes = context.getAttributes(name + ".", new String[] {"TXT"});
            Attribute txt = attributes.get("TXT");
            if (txt == null || txt.size() == 0) {
                return new Found(name, List.of(), "the name has no TXT record");
            }
            List<String> values = new ArrayList<>();
            NamingEnumeration<?> all = txt.getAll();
            while (all.hasMore() && values.size() < MAX_VALUES) {
                values.add(String.valueOf(all.next()));
            }
            return new Found(name, List.copyOf(values), null);
        } catch (NameNotFoundException e) {
            return new Found(name, List.of(), "the name does not exist");
        } catch (NamingException e) {
            return new Found(name, List.of(), "the DNS query failed: " + e.getClass().getSimpleName()
                    + (e.getExplanation() == null ? "" : " " + e.getExplanation()));
        } finally {
            if (context != null) {
                try {
                    context.close();
                } catch (NamingException e) {
                    // nothing held open: the provider keeps no connection between queries
                }
            }
        }
    }
}
