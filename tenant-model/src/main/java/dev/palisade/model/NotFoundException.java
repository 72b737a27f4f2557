package dev.palisade.model;

/** Something the caller asked for does not exist, or is not theirs to see (the API answers both with 404). */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }
}
