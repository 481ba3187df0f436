package dev.tidemark.error;

/**
 * A rollback undid some targets but not all: the message lists, per target, what was rolled back and the error of each
 * target that was not. Every target was attempted. Not retryable as such: read the message, fix, run again.
 */
public class RollbackIncompleteException extends TidemarkException {

    /** @param message what was rolled back and what failed */
    public RollbackIncompleteException(String message) {
        super(ErrorCode.ROLLBACK_INCOMPLETE, false, message, null);
    }
}
