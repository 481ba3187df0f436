package dev.tidemark.error;

/**
 * A secret could not be read from AWS Secrets Manager or lacks a required key. The message names the secret id and the key, never a value.
 */
public class SecretException extends TidemarkException {

    /** @param message what went wrong, naming what is concerned */
    public SecretException(String message) {
        super(ErrorCode.SECRET_ERROR, false, message, null);
    }

    /**
     * @param message what went wrong, naming what is concerned
     * @param cause the underlying error
     */
    public SecretException(String message, Throwable cause) {
        super(ErrorCode.SECRET_ERROR, false, message, cause);
    }
}
