package dev.tidemark.migration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Flyway's migration checksum: a CRC32 over the UTF-8 bytes of each line without its line break, a leading byte-order
 * mark removed. Line-ending style therefore does not change a checksum. Used for every store so that one rule decides
 * drift everywhere.
 */
public final class Checksums {

    private Checksums() {
    }

    /**
     * @param content a migration file's text
     * @return the signed 32-bit checksum, as Flyway stores it
     */
    public static int of(String content) {
        CRC32 crc = new CRC32();
        try (BufferedReader reader = new BufferedReader(new StringReader(content))) {
            String line;
            boolean first = true;
            while ((line = reader.readLine()) != null) {
                if (first && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
                first = false;
                crc.update(line.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return (int) crc.getValue();
    }
}
