package dev.tidemark.error;

/**
 * A migration location ({@code filesystem:}, {@code classpath:}, {@code s3://}) could not be read.
 */
public class LocationException extends TidemarkException {

    /** @param message what went wrong, naming what is concerned */
    public LocationException(String message) {
        super(ErrorCode.LOCATION_ERROR, false, message, null);
    }

    /**
     * @param message what went wrong, naming what is concerned
     * @param cause the underlying error
     */
    public LocationException(String message, Throwable cause) {
        super(ErrorCode.LOCATION_ERROR, false, message, cause);
    }
}
