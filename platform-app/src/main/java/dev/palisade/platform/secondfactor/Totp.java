package dev.palisade.platform.secondfactor;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Instant;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-based one-time passwords as RFC 6238 defines them with the parameters every
 * authenticator app uses by default: HMAC-SHA1, 30-second steps from the Unix epoch, 6 digits.
 * No TOTP library resolves from our Maven mirror, and the algorithm is a dozen lines of the JDK's
 * HMAC; {@code TotpTests} checks it against the RFC's own test vectors.
 */
final class Totp {

    static final int STEP_SECONDS = 30;
    static final int DIGITS = 6;

    private Totp() {
    }

    /** The step an instant falls in. */
    static long step(Instant at) {
        return Math.floorDiv(at.getEpochSecond(), STEP_SECONDS);
    }

    /** The code of one step (RFC 4226's HOTP over the step number, dynamically truncated). */
    static String code(byte[] key, long step, int digits) {
        byte[] hash;
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            hash = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is not available", e);
        }
        int offset = hash[hash.length - 1] & 0x0f;
        int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16)
                | ((hash[offset + 2] & 0xff) << 8) | (hash[offset + 3] & 0xff);
        int modulus = (int) Math.pow(10, digits);
        return String.format("%0" + digits + "d", binary % modulus);
    }

    /**
     * The step whose code this is, looking one step either side of {@code now} (a phone's clock a
     * little off, a code typed as its step ends), or -1. Compared in constant time.
     */
    static long matchingStep(byte[] key, String code, Instant now) {
        if (code == null || code.length() != DIGITS || !code.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        long current = step(now);
        long found = -1;
        for (long s = current - 1; s <= current + 1; s++) {
            if (java.security.MessageDigest.isEqual(code(key, s, DIGITS).getBytes(), code.getBytes())) {
                found = s;
            }
        }
        return found;
    }

    /** RFC 4648 base32 without padding: how authenticator apps take a secret typed in. */
    static String base32(byte[] bytes) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder out = new StringBuilder();
        int buffer = 0, bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }
}
