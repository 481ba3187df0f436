package dev.tidemark.bulk;

import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes one part: records, compressed, streamed to S3 by {@link S3MultipartOutputStream}. Memory: one upload chunk
 * plus the compressor's buffer, whatever the part size.
 */
final class PartWriter {

    private final String file;
    private final S3MultipartOutputStream upload;
    private final OutputStream out;
    private long rows;

    /**
     * @param s3 gives the client when the first upload request is due (see {@link S3MultipartOutputStream})
     * @param folder the export folder
     * @param file the part's file name
     * @param compression its compression
     * @param level the gzip level, 1 to 9
     * @param chunkSize upload chunk size in bytes
     * @param header bytes written first (a CSV header line), or {@code null}
     */
    PartWriter(java.util.function.Supplier<S3Client> s3, S3Uri folder, String file, Compression compression, int level, int chunkSize,
               byte[] header) {
        this.file = file;
        this.upload = new S3MultipartOutputStream(s3, folder.bucket(), folder.key(file), chunkSize);
        try {
            // records are small: batch them before the compressor, which costs a native call per write
            this.out = new java.io.BufferedOutputStream(compression.compress(upload, level), 256 * 1024);
            if (header != null) {
                out.write(header);
            }
        } catch (IOException e) {
            upload.abort();
            throw new UncheckedIOException(e);
        }
    }

    /** @param record one record's bytes, ending in a newline */
    void write(byte[] record) {
        try {
            out.write(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        rows++;
    }

    /** @return the stored (compressed) bytes sent so far */
    long storedBytes() {
        return upload.bytes();
    }

    /** @return records written */
    long rows() {
        return rows;
    }

    /** @return the finished part, uploaded */
    Manifest.Part finish() {
        try {
            out.close();
        } catch (IOException e) {
            upload.abort();
            throw new UncheckedIOException(e);
        }
        return new Manifest.Part(file, rows, upload.bytes(), upload.sha256());
    }

    /** Aborts the upload: nothing of this part stays in S3. */
    void abort() {
        upload.abort();
    }
}
