package dev.palisade.platform.customdomain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The P-256 keys of custom domains and of the ACME account, made and written with the JDK alone
 * (acme4j's own key helpers need BouncyCastle registered as a provider): PKCS#8 for a private
 * key, as Netty reads it, and the public key beside it for the account's key pair.
 */
final class Pem {

    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private Pem() {
    }

    static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    /** The private key alone, PKCS#8 PEM. */
    static byte[] privateKey(KeyPair key) {
        return block("PRIVATE KEY", key.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII);
    }

    /** The private key and the public key, PEM, for {@link #readKeyPair}. */
    static byte[] keyPair(KeyPair key) {
        return (block("PRIVATE KEY", key.getPrivate().getEncoded()) + block("PUBLIC KEY", key.getPublic().getEncoded()))
                .getBytes(StandardCharsets.US_ASCII);
    }

    static KeyPair readKeyPair(byte[] pem) throws GeneralSecurityException {
        byte[] priv = null, pub = null;
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            if (m.group(1).equals("PRIVATE KEY")) {
                priv = der;
            } else if (m.group(1).equals("PUBLIC KEY")) {
                pub = der;
            }
        }
        if (priv == null || pub == null) {
            throw new GeneralSecurityException("the kept ACME account key is incomplete");
        }
        KeyFactory ec = KeyFactory.getInstance("EC");
        return new KeyPair(ec.generatePublic(new X509EncodedKeySpec(pub)), ec.generatePrivate(new PKCS8EncodedKeySpec(priv)));
    }

    private static String block(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
