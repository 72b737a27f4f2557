package dev.palisade.platform.customdomain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What may be a custom domain: a plain public DNS name, kept in lower case; everything else refused with why. */
class DomainNamesTests {

    private final DomainNames names = new DomainNames("apps.example.net", "console.example.net");

    @ParameterizedTest
    @CsvSource({"www.example.com,www.example.com", "WWW.Example.COM,www.example.com", " shop.example.org ,shop.example.org",
            "a-b.c-d.example.co.uk,a-b.c-d.example.co.uk", "example.com,example.com", "1password.com,1password.com"})
    void acceptsAPlainNameInLowerCase(String input, String kept) {
        assertThat(names.check(input)).isEqualTo(kept);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "*.example.com|wildcards", "www.example.com.|end with a dot", "bücher.example.com|IDN",
            "xn--bcher-kva.example.com|IDN", "www.xn--80ak6aa92e.com|IDN", "apps.example.net|platform's own",
            "web.acme.apps.example.net|platform's own", "example.net|platform's own", "console.example.net|platform's own",
            "x.console.example.net|platform's own", "localhost|two labels", "x.localhost|.localhost",
            "printer.local|.local", "db.internal|.internal", "10.0.0.1|address", "a..example.com|label ''",
            "-a.example.com|label '-a'", "a-.example.com|label 'a-'", "a_b.example.com|label 'a_b'",
            "example.com:443|without scheme, port or path", "http://example.com/|without scheme, port or path",
            "user@example.com|without scheme, port or path", "a b.example.com|plain ASCII", "ex\tample.com|plain ASCII"})
    void refusesWithTheReason(String input, String reason) {
        assertThatThrownBy(() -> names.check(input)).isInstanceOf(DomainNames.InvalidDomainException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 254})
    void refusesOverlongLabelsAndNames(int length) {
        String host = length == 64 ? "x".repeat(64) + ".example.com" : ("a".repeat(62) + ".").repeat(4) + "com";
        assertThat(host.length() > 253 || length == 64).isTrue();
        assertThatThrownBy(() -> names.check(host)).isInstanceOf(DomainNames.InvalidDomainException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "com"})
    void refusesEmptyAndSingleLabels(String input) {
        assertThatThrownBy(() -> names.check(input)).isInstanceOf(DomainNames.InvalidDomainException.class);
    }
}
