package dev.palisade.platform.secret;

import dev.palisade.platform.config.PalisadeProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The keys that seal secrets, and sealing itself: AES-256-GCM with a fresh 12-byte nonce per
 * value and the row's identity as associated data. One key is current (it seals); older ones
 * only open, until rotation has re-sealed every value. Each key is known by an id derived from
 * it (never the key itself), stored beside each value.
 *
 * <p>The keys come from {@code palisade.secrets.key} (and {@code previous-keys}) or, when that is
 * unset, from {@code <data-dir>/secret-keys}: base64 keys one a line, the last current, created
 * {@code 0600} on first start. Only the file's keys can be rotated at run time; a configured key
 * is rotated by configuring the new one and listing the old one as previous.
 */
@Component
public class SecretKeys {

    private static final Logger log = LoggerFactory.getLogger(SecretKeys.class);
    private static final int NONCE = 12, TAG_BITS = 128, KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** The keys at one moment: swapped whole on rotation, so a seal never sees half a keyring. */
    private record Ring(String current, Map<String, SecretKeySpec> keys) {
    }

    private final Path file;
    private volatile Ring ring;

    SecretKeys(SecretProperties properties, PalisadeProperties palisade) {
        if (properties.key() != null && !properties.key().isBlank()) {
            this.file = null;
            List<String> all = new ArrayList<>(properties.previousKeys());
            all.add(properties.key());
            this.ring = ring(all, "palisade.secrets.key");
        } else {
            this.file = palisade.dataDir().toAbsolutePath().normalize().resolve("secret-keys");
            this.ring = ring(readOrCreate(file), file.toString());
        }
    }

    /** A sealed value: the id of the key that sealed it, and nonce || ciphertext || tag. */
    public record Sealed(String keyId, byte[] bytes) {
    }

    /** Thrown when a value cannot be opened: its key is unknown here, or it was altered or moved. */
    public static final class UnreadableSecretException extends RuntimeException {
        UnreadableSecretException(String message) {
            super(message);
        }
    }

    public String currentKeyId() {
        return ring.current();
    }

    /** The ids of every key that can open a value here. */
    java.util.Set<String> knownIds() {
        return ring.keys().keySet();
    }

    /** Whether keys can be rotated here (they come from the key file, not from configuration). */
    public boolean rotatable() {
        return file != null;
    }

    /** Seals a value with the current key; {@code associated}: the row's identity, needed again to open it. */
    public Sealed seal(byte[] plain, String associated) {
        Ring r = ring;
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, r.keys().get(r.current()), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(plain);
            byte[] out = new byte[NONCE + ct.length];
            System.arraycopy(nonce, 0, out, 0, NONCE);
            System.arraycopy(ct, 0, out, NONCE, ct.length);
            return new Sealed(r.current(), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /** Opens a value sealed by {@link #seal}; throws {@link UnreadableSecretException} when it cannot. */
    public byte[] open(Sealed sealed, String associated) {
        SecretKeySpec key = ring.keys().get(sealed.keyId());
        if (key == null) {
            throw new UnreadableSecretException("sealed with key " + sealed.keyId() + ", which this instance does not have");
        }
        byte[] b = sealed.bytes();
        if (b.length < NONCE + TAG_BITS / 8) {
            throw new UnreadableSecretException("sealed value is truncated");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, b, 0, NONCE));
            c.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(b, NONCE, b.length - NONCE);
        } catch (AEADBadTagException e) {
            throw new UnreadableSecretException("sealed value does not authenticate (altered, or not this row's)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /**
     * Adds a fresh key to the key file and makes it current; the old ones stay until
     * {@link #retireAllButCurrent()} (after every value was re-sealed). Returns the new key's id.
     */
    synchronized String addKey() {
        if (file == null) {
            throw new IllegalStateException("the secret key comes from configuration (palisade.secrets.key): configure "
                    + "the new key and list the old one in palisade.secrets.previous-keys, then restart");
        }
        List<String> lines = new ArrayList<>(readOrCreate(file));
        lines.add(newKey());
        write(file, lines);
        ring = ring(lines, file.toString());
        log.info("Secret key {} added to {} and made current", ring.current(), file);
        return ring.current();
    }

    /** Drops every key but the current one from the key file (nothing is sealed with them any more). */
    synchronized void retireAllButCurrent() {
        if (file == null) {
            return;
        }
        List<String> lines = readOrCreate(file);
        List<String> kept = List.of(lines.get(lines.size() - 1));
        write(file, kept);
        ring = ring(kept, file.toString());
    }

    private static Ring ring(List<String> base64Keys, String source) {
        Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        String current = null;
        for (String k : base64Keys) {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(k.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("a secret key in " + source + " is not base64");
            }
            if (raw.length != KEY_BYTES) {
                throw new IllegalStateException("a secret key in " + source + " is " + raw.length + " bytes; AES-256 needs "
                        + KEY_BYTES + " (make one with: head -c 32 /dev/urandom | base64)");
            }
            current = id(raw);
            keys.put(current, new SecretKeySpec(raw, "AES"));
        }
        return new Ring(current, Map.copyOf(keys));
    }

    /** A key's public name: the first 16 hex digits of a hash of it, domain-separated. */
    static String id(byte[] key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("palisade secret key id\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(key)).substring(0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String newKey() {
        byte[] raw = new byte[KEY_BYTES];
        RANDOM.nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    private static List<String> readOrCreate(Path file) {
        try {
            Files.createDirectories(file.getParent());
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.writeString(file, newKey() + "\n");
                log.info("Created the secret key file {} (mode 0600)", file);
            } catch (FileAlreadyExistsException e) {
                if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                    log.warn("The secret key file {} was readable by others: made 0600", file);
                    Files.setPosixFilePermissions(file, OWNER_ONLY);
                }
            }
            List<String> lines = Files.readAllLines(file).stream().map(String::trim).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                throw new IllegalStateException("the secret key file " + file + " is empty");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secret key file " + file, e);
        }
    }

    private static void write(Path file, List<String> lines) {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.write(tmp, lines);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the secret key file " + file, e);
        }
    }
}
