package dev.tidemark.bulk;

/**
 * What one invocation of a bulk export or import did (the {@code result} field of its output).
 *
 * @param operation {@code export} or {@code import}
 * @param target the configured target
 * @param location the export folder, {@code s3://bucket/prefix/}
 * @param phase the phase the invocation ended in: {@code export}; {@code verify} or {@code load}; {@code done}
 * @param partsDone parts finished so far, over all invocations (in the phase it ended in)
 * @param partsTotal parts in all, when known (import; export once done), else {@code null}
 * @param records records written (export) or loaded (import) by this invocation
 * @param totalRecords records of the export so far (export) or of the manifest (import)
 * @param bytes bytes stored (export) or read (import) by this invocation
 * @param millis time this invocation worked, in milliseconds
 */
public record BulkResult(String operation, String target, String location, String phase, int partsDone, Integer partsTotal, long records,
                         long totalRecords, long bytes, long millis) {
}
