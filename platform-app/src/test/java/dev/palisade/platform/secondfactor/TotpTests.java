package dev.palisade.platform.secondfactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Totp} against RFC 6238's test vectors (Appendix B, SHA-1) and RFC 4648's base32 ones. */
class TotpTests {

    private static final byte[] RFC_KEY = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest
    @CsvSource({"59, 94287082", "1111111109, 07081804", "1111111111, 14050471", "1234567890, 89005924",
            "2000000000, 69279037", "20000000000, 65353130"})
    void codesAreTheRfcsTestVectors(long epochSeconds, String expected) {
        assertThat(Totp.code(RFC_KEY, Totp.step(Instant.ofEpochSecond(epochSeconds)), 8)).isEqualTo(expected);
        // six digits are the last six of the same number
        assertThat(Totp.code(RFC_KEY, Totp.step(Instant.ofEpochSecond(epochSeconds)), 6))
                .isEqualTo(expected.substring(2));
    }

    @Test
    void aCodeMatchesItsStepAndTheNeighboursOnly() {
        Instant now = Instant.ofEpochSecond(1111111111);
        long step = Totp.step(now);
        assertThat(Totp.matchingStep(RFC_KEY, "050471", now)).isEqualTo(step);
        assertThat(Totp.matchingStep(RFC_KEY, Totp.code(RFC_KEY, step - 1, 6), now)).isEqualTo(step - 1);
        assertThat(Totp.matchingStep(RFC_KEY, Totp.code(RFC_KEY, step + 1, 6), now)).isEqualTo(step + 1);
        assertThat(Totp.matchingStep(RFC_KEY, Totp.code(RFC_KEY, step - 2, 6), now)).isEqualTo(-1);
        assertThat(Totp.matchingStep(RFC_KEY, "05047", now)).isEqualTo(-1);
        assertThat(Totp.matchingStep(RFC_KEY, "05047a", now)).isEqualTo(-1);
        assertThat(Totp.matchingStep(RFC_KEY, null, now)).isEqualTo(-1);
    }

    @Test
    void base32IsRfc4648sWithoutPadding() {
        assertThat(Totp.base32("foobar".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MZXW6YTBOI");
        assertThat(Totp.base32("fooba".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MZXW6YTB");
        assertThat(Totp.base32("f".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MY");
    }
}
