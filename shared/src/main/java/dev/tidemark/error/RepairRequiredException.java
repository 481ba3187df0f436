package dev.tidemark.error;

/**
 * The schema history holds a failed migration (MongoDB, Elasticsearch), so the target is refused until an operator has cleaned up and run repair.
 */
public class RepairRequiredException extends TidemarkException {

    /** @param message what went wrong, naming what is concerned */
    public RepairRequiredException(String message) {
        super(ErrorCode.REPAIR_REQUIRED, false, message, null);
    }

    /**
     * @param message what went wrong, naming what is concerned
     * @param cause the underlying error
     */
    public RepairRequiredException(String message, Throwable cause) {
        super(ErrorCode.REPAIR_REQUIRED, false, message, cause);
    }
}
