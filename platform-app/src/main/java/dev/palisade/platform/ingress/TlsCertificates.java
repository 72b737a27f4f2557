package dev.palisade.platform.ingress;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The certificates of the ingress's TLS port and the names each serves (its leaf's DNS names),
 * chosen by SNI; each context offers HTTP/2 and HTTP/1.1 by ALPN. A client that names no host,
 * or one no certificate covers, gets the first certificate (and its browser's warning).
 */
final class TlsCertificates {

    private record Entry(String name, SslContext context) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Mapping<String, SslContext> mapping;

    TlsCertificates(List<IngressProperties.Certificate> certificates) {
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
        if (builder == null) {
            throw new IllegalStateException("The ingress's TLS port needs at least one certificate"
                    + " (palisade.services.ingress.tls.certificates)");
        }
        mapping = builder.build();
    }

    Mapping<String, SslContext> mapping() {
        return mapping;
    }

    /** Whether a certificate covers the host (without port): then the plain port redirects it to TLS. */
    boolean covers(String host) {
        if (host == null) {
            return false;
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
            return SslContextBuilder.forServer(new File(c.chain()), new File(c.key()))
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("The ingress's certificate " + c.chain() + " (key " + c.key()
                    + ") cannot be loaded: " + e.getMessage(), e);
        }
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
