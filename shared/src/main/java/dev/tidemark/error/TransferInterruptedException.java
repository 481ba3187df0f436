package dev.tidemark.error;

/**
 * A bulk export or import stopped on a transient failure (the store or S3 unreachable, a timeout, a serialization
 * failure): the same call may succeed. Everything up to the continuation token in the message is complete. A separate
 * class from {@link TransferFailedException} because Step Functions matches {@code Retry} on the error's class name:
 * the bulk state machines retry this one and stop on the other.
 */
public class TransferInterruptedException extends TransferFailedException {

    /**
     * @param message what failed, naming the part
     * @param continuation the continuation token to resume from, or {@code null} to start over
     * @param cause the underlying, transient error
     */
    public TransferInterruptedException(String message, String continuation, Throwable cause) {
        super(message, continuation, true, cause);
    }
}
