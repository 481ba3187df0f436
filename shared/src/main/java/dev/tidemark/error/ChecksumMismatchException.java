package dev.tidemark.error;

import java.util.List;

/**
 * Validation found applied migrations whose files changed since they were applied (Flyway's "checksum mismatch").
 * Migrate refuses to run while any exists. Not retryable.
 */
public class ChecksumMismatchException extends TidemarkException {

    private final List<String> details;

    /**
     * @param target the target name
     * @param details one line per drifted migration: script, checksum recorded, checksum found
     */
    public ChecksumMismatchException(String target, List<String> details) {
        super(ErrorCode.CHECKSUM_MISMATCH, false, "target '" + target + "': checksum mismatch: " + String.join("; ", details), null);
        this.details = List.copyOf(details);
    }

    /** @return one line per drifted migration */
    public List<String> details() {
        return details;
    }
}
