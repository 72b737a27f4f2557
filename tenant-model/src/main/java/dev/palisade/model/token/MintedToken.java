package dev.palisade.model.token;

/** A new token and its secret; the secret exists only in this object and the response built from it. */
public record MintedToken(ApiToken token, String secret) {

    @Override
    public String toString() {
        return "MintedToken[" + token.getPrefix() + "…]";
    }
}
