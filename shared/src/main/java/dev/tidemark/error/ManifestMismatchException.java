package dev.tidemark.error;

/**
 * A bulk import found that the data in S3 does not match its {@code manifest.json}: a part is missing, or its size,
 * SHA-256 or row count differs. Raised while verifying, before anything is written to the target.
 */
public class ManifestMismatchException extends TidemarkException {

    /** @param message which part and which property differ, with the expected and actual values */
    public ManifestMismatchException(String message) {
        super(ErrorCode.MANIFEST_MISMATCH, false, message, null);
    }
}
