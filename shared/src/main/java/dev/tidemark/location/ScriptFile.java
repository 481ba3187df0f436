package dev.tidemark.location;

/**
 * A file read from a migration location.
 *
 * @param name the file name without directories, e.g. {@code V1__init.sql}
 * @param path where it came from, for messages, e.g. {@code s3://bucket/pg/V1__init.sql}
 * @param content its text, UTF-8
 */
public record ScriptFile(String name, String path, String content) {
}
