package dev.palisade.cli;

/** The API refused a call; the message is the problem's title, detail and fields, as one line. */
final class ApiException extends RuntimeException {

    final int status;

    ApiException(int status, String message) {
        super(message);
        this.status = status;
    }
}
