package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Compression of bulk parts: {@link #GZIP} (RFC 1952, one gzip member per part, the default) or {@link #NONE}.
 * Java's gzip writer is deterministic (no timestamp in the header), so the same rows always give the same bytes and the
 * same SHA-256.
 */
public enum Compression {
    /** gzip, extension {@code .gz}. */
    GZIP(".gz"),
    /** no compression. */
    NONE("");

    private static final int BUFFER = 64 * 1024;

    /** gzip's default level, 6 (as {@code gzip} without {@code -1}…{@code -9}). */
    public static final int DEFAULT_LEVEL = 6;

    private final String suffix;

    Compression(String suffix) {
        this.suffix = suffix;
    }

    /** @return the file-name suffix, {@code .gz} or empty */
    public String suffix() {
        return suffix;
    }

    /**
     * @param out the compressed stream
     * @return a stream that compresses into {@code out}; closing it closes {@code out}
     * @throws IOException from {@code out}
     */
    public OutputStream compress(OutputStream out) throws IOException {
        return compress(out, DEFAULT_LEVEL);
    }

    /**
     * @param out the compressed stream
     * @param level the deflate level, 1 (fastest) to 9 (smallest); ignored by {@link #NONE}
     * @return a stream that compresses into {@code out}; closing it closes {@code out}
     * @throws IOException from {@code out}
     */
    public OutputStream compress(OutputStream out, int level) throws IOException {
        if (this == NONE) {
            return out;
        }
        return new GZIPOutputStream(out, BUFFER) {
            {
                def.setLevel(level);
            }
        };
    }

    /**
     * @param in the compressed stream
     * @return the decompressed stream; closing it closes {@code in}
     * @throws IOException when {@code in} is not gzip
     */
    public InputStream decompress(InputStream in) throws IOException {
        return this == GZIP ? new GZIPInputStream(in, BUFFER) : in;
    }

    /**
     * @param field the field name, for messages
     * @param value {@code gzip} or {@code none}, any case
     * @return the compression
     * @throws ValidationException naming the field when the value is neither
     */
    public static Compression of(String field, String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ValidationException(field + ": '" + value + "' is not a compression; expected gzip or none");
        }
    }
}
