package dev.tidemark.lint;

/** How serious a lint finding is. Only unapproved {@link #ERROR} findings stop an upgrade. */
public enum Severity {
    /** Data loss, locking or a broken rule of the rule book: stops the upgrade unless approved in the file. */
    ERROR,
    /** Worth fixing; never stops an upgrade. */
    WARNING,
    /** For the record (e.g. a statement the SQL parser could not read, so its rules were not checked). */
    INFO
}
