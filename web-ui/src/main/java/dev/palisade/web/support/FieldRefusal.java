package dev.palisade.web.support;

/**
 * The platform refused what a form sent; {@code field} names the part at fault (null: the form as
 * a whole), so the page shows the message on that field, with what was typed.
 */
public class FieldRefusal extends RuntimeException {

    private final String field;

    public FieldRefusal(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
