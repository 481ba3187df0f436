package dev.tidemark.bulk;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Streams one S3 object through a multipart upload (S3 API: CreateMultipartUpload, UploadPart, CompleteMultipartUpload),
 * holding at most two chunks in memory: one being filled while the previous one is uploaded on a background thread.
 * Counts the bytes and computes their SHA-256 on the way.
 * {@link #close()} completes the upload; {@link #abort()} aborts it (S3 then keeps nothing, so no orphan upload is left).
 * An object of fewer bytes than one chunk is sent by one PutObject instead (one request rather than three).
 * The client is asked for only when the first request is due, so a caller may still be preparing it (or checking the
 * destination) while the first chunk fills.
 */
public final class S3MultipartOutputStream extends OutputStream {

    /** S3's minimum size of every part but the last: 5 MiB. */
    public static final int MIN_CHUNK = 5 * 1024 * 1024;

    private final java.util.function.Supplier<S3Client> client;
    private S3Client s3;
    private final String bucket;
    private final String key;
    private byte[] chunk;
    private byte[] uploading;
    private java.util.concurrent.Future<CompletedPart> inFlight;
    private java.util.concurrent.ExecutorService uploader;
    private final MessageDigest sha256;
    private final List<CompletedPart> completed = new ArrayList<>();
    private String uploadId;
    private int fill;
    private long bytes;
    private boolean closed;
    private String digest;

    /**
     * @param s3 the client
     * @param bucket the bucket
     * @param key the object key
     * @param chunkSize bytes per uploaded chunk, at least {@link #MIN_CHUNK}
     */
    public S3MultipartOutputStream(S3Client s3, String bucket, String key, int chunkSize) {
        this(() -> s3, bucket, key, chunkSize);
    }

    /**
     * @param client gives the client when the first request is due; may block (a destination check still running) and
     *               may throw, which fails that write
     * @param bucket the bucket
     * @param key the object key
     * @param chunkSize bytes per uploaded chunk, at least {@link #MIN_CHUNK}
     */
    public S3MultipartOutputStream(java.util.function.Supplier<S3Client> client, String bucket, String key, int chunkSize) {
        if (chunkSize < MIN_CHUNK) {
            throw new IllegalArgumentException("chunkSize below S3's 5 MiB minimum: " + chunkSize);
        }
        this.client = client;
        this.bucket = bucket;
        this.key = key;
        this.chunk = new byte[chunkSize];
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        sha256.update(b, off, len);
        bytes += len;
        while (len > 0) {
            int n = Math.min(len, chunk.length - fill);
            System.arraycopy(b, off, chunk, fill, n);
            fill += n;
            off += n;
            len -= n;
            if (fill == chunk.length) {
                flushChunk();
            }
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("upload of s3://" + bucket + "/" + key + " is already closed");
        }
    }

    private S3Client s3() {
        if (s3 == null) {
            s3 = client.get();
        }
        return s3;
    }

    private void flushChunk() {
        S3Client s3 = s3();
        if (uploadId == null) {
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
            uploader = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "s3-upload");
                t.setDaemon(true);
                return t;
            });
        }
        awaitInFlight();
        int number = completed.size() + 1;
        byte[] buffer = chunk;
        int length = fill;
        String id = uploadId;
        inFlight = uploader.submit(() -> {
            String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(id).partNumber(number),
                RequestBody.fromInputStream(new java.io.ByteArrayInputStream(buffer, 0, length), length)).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        });
        chunk = uploading != null ? uploading : new byte[buffer.length];
        uploading = buffer;
        fill = 0;
    }

    private void awaitInFlight() {
        if (inFlight == null) {
            return;
        }
        try {
            completed.add(inFlight.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while uploading s3://" + bucket + "/" + key, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            inFlight = null;
        }
    }

    /** @return bytes written so far */
    public long bytes() {
        return bytes;
    }

    /** @return lowercase hex SHA-256 of everything written; only after {@link #close()} */
    public String sha256() {
        if (digest == null) {
            throw new IllegalStateException("sha256 is known once the upload is closed");
        }
        return digest;
    }

    /** Completes the upload. On failure the upload is aborted and the error rethrown. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (uploadId == null) {
                s3().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromInputStream(new java.io.ByteArrayInputStream(chunk, 0, fill), fill));
            } else {
                if (fill > 0) {
                    flushChunk();
                }
                awaitInFlight();
                uploader.shutdown();
                s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(completed)));
            }
            closed = true;
            digest = HexFormat.of().formatHex(sha256.digest());
        } catch (RuntimeException e) {
            try {
                abort();
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /** Aborts the upload, if one was started; nothing of it stays in S3. Safe to call more than once. */
    public void abort() {
        if (closed) {
            return;
        }
        closed = true;
        if (inFlight != null) {
            inFlight.cancel(false);
            try {
                inFlight.get();
            } catch (Exception e) {
                // the upload is aborted next; the part's own error is not the one to report
            }
            inFlight = null;
        }
        if (uploader != null) {
            uploader.shutdown();
        }
        if (uploadId != null) {
            String id = uploadId;
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(id));
        }
    }
}
