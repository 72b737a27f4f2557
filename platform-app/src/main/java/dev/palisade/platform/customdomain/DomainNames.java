package dev.palisade.platform.customdomain;

import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.edge.EdgeProperties;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * What a custom domain may be: a plain DNS name of at least two labels, letters, digits and
 * hyphens only, which the platform does not use itself. Everything else is refused with the
 * reason, never guessed at: internationalised names (in Unicode or as {@code xn--} A-labels,
 * whose look-alikes would pass for another's name), wildcards, a trailing dot, ports, addresses,
 * names that no public CA issues for ({@code localhost}, {@code .local}, {@code .internal}…),
 * and the apps domain or the console's host, their sub-domains and their parents (a service there
 * could set cookies the console or another tenant's service receives).
 */
@Component
public class DomainNames {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final List<String> RESERVED = List.of("localhost", "local", "internal", "invalid", "test",
            "example", "arpa", "onion", "home", "lan", "corp", "intranet", "private");

    private final String appsDomain;
    private final String consoleHost;

    @Autowired
    DomainNames(AppsSite apps, EdgeProperties edge) {
        this(apps.domain(), edge.consoleHost());
    }

    DomainNames(String appsDomain, String consoleHost) {
        this.appsDomain = appsDomain.toLowerCase(Locale.ROOT);
        this.consoleHost = consoleHost.toLowerCase(Locale.ROOT);
    }

    /** Thrown with the reason a name cannot be a custom domain. */
    public static final class InvalidDomainException extends RuntimeException {
        InvalidDomainException(String message) {
            super(message);
        }
    }

    /** The name as kept (lower case), or {@link InvalidDomainException} saying why it is refused. */
    public String check(String input) {
        if (input == null || input.isBlank()) {
            throw new InvalidDomainException("is required (a host name such as www.example.com)");
        }
        String h = input.strip();
        if (h.length() > 253) {
            throw new InvalidDomainException("is longer than 253 characters");
        }
        for (int i = 0; i < h.length(); i++) {
            if (h.charAt(i) > 0x7e || h.charAt(i) < 0x21) {
                throw new InvalidDomainException("must be plain ASCII: internationalised (IDN) names are not supported");
            }
        }
        h = h.toLowerCase(Locale.ROOT);
        if (h.contains("*")) {
            throw new InvalidDomainException("must name one host: wildcards are not supported");
        }
        if (h.endsWith(".")) {
            throw new InvalidDomainException("must not end with a dot");
        }
        if (h.contains(":") || h.contains("/") || h.contains("@")) {
            throw new InvalidDomainException("must be a host name only, without scheme, port or path");
        }
        String[] labels = h.split("\\.", -1);
        if (labels.length < 2) {
            throw new InvalidDomainException("must have at least two labels (www.example.com)");
        }
        for (String l : labels) {
            if (!LABEL.matcher(l).matches()) {
                throw new InvalidDomainException("has a label '" + l + "' that is not 1-63 letters, digits or inner hyphens");
            }
            if (l.startsWith("xn--")) {
                throw new InvalidDomainException("must be plain ASCII: internationalised (IDN) names are not supported");
            }
        }
        String top = labels[labels.length - 1];
        if (top.chars().allMatch(Character::isDigit)) {
            throw new InvalidDomainException("must be a host name, not an address");
        }
        if (RESERVED.contains(top)) {
            throw new InvalidDomainException("is under ." + top + ", for which no public certificate is issued");
        }
        for (String own : List.of(appsDomain, consoleHost)) {
            if (h.equals(own) || h.endsWith("." + own) || own.endsWith("." + h)) {
                throw new InvalidDomainException("is the platform's own (" + own + "), a name under it or a parent of it");
            }
        }
        return h;
    }
}
