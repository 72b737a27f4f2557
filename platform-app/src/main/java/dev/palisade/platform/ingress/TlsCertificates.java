package dev.palisade.platform.ingress;

import dev.palisade.platform.customdomain.CustomDomains;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of the ingress's TLS port and the names each serves, chosen by SNI: a custom
 * domain's own certificate (obtained by ACME, looked up at each handshake, so a new or renewed one
 * serves without a restart), else a configured one by its leaf's DNS names; each context offers
 * HTTP/2 and HTTP/1.1 by ALPN. A client that names no host, or one no certificate covers, gets the
 * first configured certificate (and its browser's warning), or, with none configured, a failed
 * handshake.
 */
final class TlsCertificates {

    private static final Logger log = LoggerFactory.getLogger(TlsCertificates.class);

    private record Entry(String name, SslContext context) {
    }

    /** A custom domain's context, built from that certificate object (a renewal brings another). */
    private record Loaded(CustomDomains.Certificate certificate, SslContext context) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Mapping<String, SslContext> configured;
    private final CustomDomains domains;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();

    TlsCertificates(List<IngressProperties.Certificate> certificates, CustomDomains domains) {
        this.domains = domains;
        DomainWildcardMappingBuilder<SslContext> builder = null;
        for (IngressProperties.Certificate c : certificates) {
            SslContext context = context(c);
            List<String> names = names(Path.of(c.chain()));
            if (builder == null) {
                builder = new DomainWildcardMappingBuilder<>(context);
            }
            for (String n : names) {
                builder.add(n, context);
                entries.add(new Entry(n, context));
            }
        }
        // with none configured the port serves custom domains only: any other name fails its handshake
        configured = builder == null ? name -> null : builder.build();
    }

    /** The context for the name a client sent by SNI (null: none). */
    Mapping<String, SslContext> mapping() {
        return name -> {
            SslContext custom = custom(name);
            return custom != null ? custom : configured.map(name);
        };
    }

    private SslContext custom(String name) {
        Optional<CustomDomains.Route> route = domains.route(name);
        if (route.isEmpty() || route.get().certificate().isEmpty()) {
            return null;
        }
        CustomDomains.Certificate certificate = route.get().certificate().get();
        Loaded l = loaded.get(route.get().host());
        if (l != null && l.certificate() == certificate) {
            return l.context();
        }
        try {
            SslContext context = context(SslContextBuilder.forServer(
                    new ByteArrayInputStream(certificate.chainPem().getBytes(StandardCharsets.US_ASCII)),
                    new ByteArrayInputStream(certificate.keyPem())));
            loaded.put(route.get().host(), new Loaded(certificate, context));
            if (loaded.size() > 4 * 1024) {
                loaded.keySet().removeIf(h -> domains.route(h).isEmpty());   // released domains
            }
            return context;
        } catch (IOException | RuntimeException e) {
            log.warn("The certificate of custom domain {} cannot be loaded: {}", route.get().host(), e.getMessage());
            return null;
        }
    }

    /** Whether a certificate covers the host (without port): then the plain port redirects it to TLS. */
    boolean covers(String host) {
        if (host == null) {
            return false;
        }
        if (domains.route(host).flatMap(CustomDomains.Route::certificate).isPresent()) {
            return true;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (Entry e : entries) {
            String n = e.name();
            if (n.equals(h) || n.startsWith("*.") && h.endsWith(n.substring(1))
                    && h.indexOf('.') == h.length() - n.length() + 1) {
                return true;
            }
        }
        return false;
    }

    private static SslContext context(IngressProperties.Certificate c) {
        try {
            return context(SslContextBuilder.forServer(new File(c.chain()), new File(c.key())));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("The ingress's certificate " + c.chain() + " (key " + c.key()
                    + ") cannot be loaded: " + e.getMessage(), e);
        }
    }

    private static SslContext context(SslContextBuilder builder) throws IOException {
        return builder.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
    }

    /** The leaf's DNS names (its common name when it has none). */
    private static List<String> names(Path chain) {
        try (InputStream in = Files.newInputStream(chain)) {
            X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            List<String> names = new ArrayList<>();
            Collection<List<?>> alt = leaf.getSubjectAlternativeNames();
            if (alt != null) {
                for (List<?> a : alt) {
                    if (Integer.valueOf(2).equals(a.get(0))) {
                        names.add(((String) a.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
            if (names.isEmpty()) {
                for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
            return names;
        } catch (IOException | CertificateException | javax.naming.InvalidNameException e) {
            throw new IllegalStateException("The ingress's certificate " + chain + " cannot be read: " + e.getMessage(), e);
        }
    }
}
