package dev.tidemark.bulk;

import dev.tidemark.error.ManifestMismatchException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One part read from S3 and checked against its manifest entry: the stored bytes are counted and hashed (SHA-256) as
 * the decompressed records are read; {@link #verify(long)} compares size, hash and record count.
 */
public final class PartCheck implements AutoCloseable {

    private final Manifest.Part part;
    private final InputStream stored;
    private final MessageDigest sha256;
    private final long[] bytes = new long[1];
    private final InputStream records;

    /**
     * @param stored the part's stored bytes (an S3 GetObject stream)
     * @param part its manifest entry
     * @param compression its compression
     */
    public PartCheck(InputStream stored, Manifest.Part part, Compression compression) {
        this.part = part;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        InputStream counted = new FilterInputStream(stored) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    bytes[0]++;
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    bytes[0] += n;
                }
                return n;
            }
        };
        this.stored = new DigestInputStream(counted, sha256);
        try {
            this.records = compression.decompress(this.stored);
        } catch (IOException e) {
            throw new ManifestMismatchException("part " + part.file() + ": not " + compression.name().toLowerCase() + " data: " + e.getMessage());
        }
    }

    /** @return the decompressed records */
    public InputStream records() {
        return records;
    }

    /** Receives one batch of ndjson records. */
    @FunctionalInterface
    public interface Batch {
        /**
         * @param lines the records, in order
         * @param first the 1-based number in the part of the first of them, for messages
         */
        void accept(java.util.List<String> lines, long first);
    }

    /** Receives one batch of ndjson records as UTF-8 bytes, for writers that copy records without decoding them. */
    @FunctionalInterface
    public interface ByteBatch {
        /**
         * @param lines the records, in order, each without its line end
         * @param first the 1-based number in the part of the first of them, for messages
         */
        void accept(java.util.List<byte[]> lines, long first);
    }

    /**
     * Reads the part's ndjson records (empty lines skipped) in batches of {@code size}, hands each batch on, then
     * {@link #verify(long) verifies} the part.
     *
     * @param size records per batch
     * @param batch what writes a batch
     * @return the records read
     * @throws dev.tidemark.error.ConnectionException when the part cannot be read from S3
     */
    public long forEachBatch(int size, Batch batch) {
        return forEachByteBatch(size, (lines, first) -> batch.accept(lines.stream()
            .map(l -> new String(l, java.nio.charset.StandardCharsets.UTF_8)).toList(), first));
    }

    /**
     * As {@link #forEachBatch}, with each record as its bytes: lines end at {@code \n}, a {@code \r} before it is
     * dropped (as {@link java.io.BufferedReader#readLine()} does), empty lines are skipped.
     *
     * @param size records per batch
     * @param batch what writes a batch
     * @return the records read
     * @throws dev.tidemark.error.ConnectionException when the part cannot be read from S3
     */
    public long forEachByteBatch(int size, ByteBatch batch) {
        long rows = 0;
        java.util.List<byte[]> lines = new java.util.ArrayList<>(size);
        byte[] buf = new byte[64 * 1024];
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream(1024);
        try {
            int n;
            while ((n = records.read(buf)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] != '\n') {
                        continue;
                    }
                    int end = i > start && buf[i - 1] == '\r' ? i - 1 : i;
                    byte[] record;
                    if (line.size() == 0) {
                        record = java.util.Arrays.copyOfRange(buf, start, end);
                    } else {
                        line.write(buf, start, i - start);
                        record = line.toByteArray();
                        line.reset();
                        if (record.length > 0 && record[record.length - 1] == '\r') {
                            record = java.util.Arrays.copyOf(record, record.length - 1);
                        }
                    }
                    start = i + 1;
                    if (record.length == 0) {
                        continue;
                    }
                    lines.add(record);
                    if (lines.size() == size) {
                        batch.accept(lines, rows + 1);
                        rows += lines.size();
                        lines = new java.util.ArrayList<>(size);
                    }
                }
                line.write(buf, start, n - start);
            }
        } catch (IOException e) {
            throw new dev.tidemark.error.ConnectionException("reading part " + part.file() + ": " + e.getMessage(), e);
        }
        if (line.size() > 0) {
            byte[] record = line.toByteArray();
            int end = record[record.length - 1] == '\r' ? record.length - 1 : record.length;
            if (end > 0) {
                lines.add(java.util.Arrays.copyOf(record, end));
            }
        }
        if (!lines.isEmpty()) {
            batch.accept(lines, rows + 1);
            rows += lines.size();
        }
        verify(rows);
        return rows;
    }

    /**
     * Reads what is left of the stored bytes, then compares them with the manifest.
     *
     * @param rows the records the caller read
     * @throws ManifestMismatchException naming the part and what differs
     */
    public void verify(long rows) {
        try {
            records.transferTo(java.io.OutputStream.nullOutputStream());
            stored.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String sha = HexFormat.of().formatHex(sha256.digest());
        if (bytes[0] != part.bytes()) {
            throw new ManifestMismatchException("part " + part.file() + ": " + bytes[0] + " bytes in S3, the manifest says " + part.bytes());
        }
        if (!sha.equals(part.sha256())) {
            throw new ManifestMismatchException("part " + part.file() + ": SHA-256 " + sha + " in S3, the manifest says " + part.sha256());
        }
        if (rows != part.rows()) {
            throw new ManifestMismatchException("part " + part.file() + ": " + rows + " records, the manifest says " + part.rows());
        }
    }

    /**
     * Counts the records of a part's decompressed data: lines for ndjson; for csv, line ends outside quotes, less the
     * header line.
     *
     * @param format the data format
     * @return the record count
     */
    public long countRecords(BulkFormat format) {
        try {
            byte[] buf = new byte[64 * 1024];
            long lines = 0;
            boolean quoted = false;
            boolean any = false;
            int n;
            while ((n = records.read(buf)) > 0) {
                any = true;
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n' && !quoted) {
                        lines++;
                    } else if (b == '"' && format == BulkFormat.CSV) {
                        quoted = !quoted;
                    }
                }
            }
            return format == BulkFormat.CSV && any ? lines - 1 : lines;
        } catch (IOException e) {
            throw new ManifestMismatchException("part " + part.file() + ": unreadable: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            stored.close();
        } catch (IOException e) {
            // nothing to recover when closing a response stream
        }
    }
}
