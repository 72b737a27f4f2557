package dev.palisade.model;

/** The change would clash with existing data, e.g. a slug or username already taken. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
